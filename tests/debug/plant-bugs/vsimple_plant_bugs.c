// SPDX-License-Identifier: GPL-2.0
/*
 * make check-debug's positive control: one bug of each kind the debug
 * kernel's checkers must report, planted on load.  check-debug boots it once
 * and fails unless tests/debug/scan-debug-reports.sh rejects that console for
 * every kind, so a clean run of the real suites means "checked", not "checker
 * silently off".  Never built for, or loaded into, a real kernel.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/compiler.h>

static int oob_index = 16;	/* past the end of a 16-byte object */
module_param(oob_index, int, 0444);
MODULE_PARM_DESC(oob_index, "byte read past a 16-byte kmalloc (KASAN)");

static DEFINE_MUTEX(lock_a);
static DEFINE_MUTEX(lock_b);
static DEFINE_SPINLOCK(atomic_lock);
static void *lost;

/* kmemleak: the only pointer to the object is overwritten */
static void plant_leak(void)
{
	lost = kmalloc(128, GFP_KERNEL);
	lost = NULL;
}

/* KASAN: a read one past the object; the index hides the constant */
static void plant_oob(void)
{
	char *p = kmalloc(16, GFP_KERNEL);
	int i = oob_index;

	if (!p)
		return;
	OPTIMIZER_HIDE_VAR(i);
	pr_notice("vsimple_plant_bugs: read %d\n", READ_ONCE(p[i]));
	kfree(p);
}

/* UBSAN: a shift by the width of the type */
static void plant_shift(void)
{
	int n = 32;

	OPTIMIZER_HIDE_VAR(n);
	pr_notice("vsimple_plant_bugs: shifted %u\n", 1U << n);
}

/* lockdep: A then B, later B then A (no deadlock, one thread) */
static void plant_inversion(void)
{
	mutex_lock(&lock_a);
	mutex_lock(&lock_b);
	mutex_unlock(&lock_b);
	mutex_unlock(&lock_a);

	mutex_lock(&lock_b);
	mutex_lock(&lock_a);
	mutex_unlock(&lock_a);
	mutex_unlock(&lock_b);
}

/* DEBUG_ATOMIC_SLEEP: a might-sleep point under a spinlock */
static void plant_atomic_sleep(void)
{
	spin_lock(&atomic_lock);
	might_sleep();
	spin_unlock(&atomic_lock);
}

static int __init plant_init(void)
{
	/* lockdep first: any report taints the kernel, which turns it off */
	plant_inversion();
	plant_atomic_sleep();
	plant_shift();
	plant_leak();
	plant_oob();
	pr_notice("vsimple_plant_bugs: planted\n");
	return 0;
}

static void __exit plant_exit(void)
{
}

module_init(plant_init);
module_exit(plant_exit);
MODULE_DESCRIPTION("virtio-simple check-debug positive control (planted bugs)");
MODULE_LICENSE("GPL");
