// SPDX-License-Identifier: GPL-2.0
/*
 * Load generator for make stress and make soak (run in the guest):
 *
 *   stress_load [-p PROCS] [-t THREADS] [-d DEPTH] [-s SECONDS] NODE...
 *
 * PROCS processes, each with its own file (round robin over the NODEs),
 * keep up to DEPTH requests outstanding: a mix of ECHO, CRC32C and DELAY,
 * written and read with blocking calls, so they block in write() at the
 * device's limits and in read() while DELAYs run.  THREADS threads share
 * one file of the first NODE: half write+read, half IOC_CALL.  Every
 * answer is checked against its request (id, status, bytes).  A file that
 * gets ENODEV (the device went away) counts what it had outstanding as
 * failed with ENODEV and reopens NODE once it is back.
 *
 * Runs until SECONDS have passed or SIGUSR1/SIGTERM, then stops writing
 * and drains.  Prints the requests sent, answered, refused by write() (by
 * errno), failed (by errno), bad (wrong answer), and lost: sent but
 * neither answered nor failed, including those of a worker still stuck 90
 * s after the stop (a hang).  Exit 0 only when nothing is lost or bad.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <virtio_simple.h>

#define MAX_WORKERS	64
#define MAX_ERRNO	134
#define TABLE		256	/* ids in flight per file, by id % TABLE */
#define DRAIN_SECS	30	/* request timeout (10 s) twice, plus a DELAY */
#define HANG_SECS	90
#define REOPEN_SECS	120
#define ECHO_MAX	20000	/* past a page: the chunked answer path too */

/* One worker's counters, in shared memory: readable after a hang. */
struct stats {
	uint64_t sent, answered, failed, bad, reopens;
	int opened;		/* its file is open: the load has started */
	uint64_t refused_by[MAX_ERRNO], failed_by[MAX_ERRNO];
	int done;
};

struct expect {
	uint64_t id;
	uint16_t op;
	uint32_t len;		/* request payload bytes */
	uint32_t crc;		/* CRC32C's answer */
};

static volatile sig_atomic_t *stop;	/* shared with the workers */
static uint32_t max_payload = VIRTIO_SIMPLE_MAX_PAYLOAD_DEFAULT;
static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78 : c >> 1;
		crc_table[i] = c;
	}
}

/* CRC-32C (Castagnoli), the standard check: "123456789" gives e3069283. */
static uint32_t crc32c(const uint8_t *p, uint32_t len)
{
	uint32_t c = 0xffffffff;

	while (len--)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}

/* The payload of request @id: never starts with "x-fault:". */
static void fill(uint8_t *p, uint64_t id, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(id * 131 + i * 7 + (i >> 8));
	if (len)
		p[0] = 'a' + id % 26;
}

static void count(uint64_t *by, int err)
{
	by[err > 0 && err < MAX_ERRNO ? err : 0]++;
}

/* A random request for @id into @buf (header + payload); its expectation. */
static size_t make_req(uint8_t *buf, uint64_t id, struct expect *e,
		       unsigned int *seed)
{
	struct virtio_simple_hdr *h = (void *)buf;
	uint8_t *p = buf + sizeof(*h);
	unsigned int r = rand_r(seed) % 100;
	uint32_t us;

	e->id = id;
	if (r < 50) {
		e->op = VIRTIO_SIMPLE_OP_ECHO;
		e->len = 1 + rand_r(seed) % (r < 5 ? ECHO_MAX : 512);
	} else if (r < 75) {
		e->op = VIRTIO_SIMPLE_OP_CRC32C;
		e->len = 1 + rand_r(seed) % 4096;
	} else {
		e->op = VIRTIO_SIMPLE_OP_DELAY;
		e->len = 4;
	}
	if (e->len > max_payload)
		e->len = max_payload;
	if (e->op == VIRTIO_SIMPLE_OP_DELAY) {
		us = htole32(rand_r(seed) % 100000);
		memcpy(p, &us, 4);
	} else {
		fill(p, id, e->len);
	}
	if (e->op == VIRTIO_SIMPLE_OP_CRC32C)
		e->crc = crc32c(p, e->len);
	*h = (struct virtio_simple_hdr){
		.id = htole64(id), .op = htole16(e->op), .len = htole32(e->len),
	};
	return sizeof(*h) + e->len;
}

/* Is @p (@len bytes, status @status) the right answer to @e? */
static int answer_ok(const struct expect *e, uint16_t op, uint16_t status,
		     const uint8_t *p, uint32_t len, uint8_t *scratch)
{
	uint32_t crc;

	if (op != e->op || status != VIRTIO_SIMPLE_S_OK)
		return 0;
	switch (e->op) {
	case VIRTIO_SIMPLE_OP_ECHO:
		fill(scratch, e->id, e->len);
		return len == e->len && !memcmp(p, scratch, len);
	case VIRTIO_SIMPLE_OP_CRC32C:
		memcpy(&crc, p, 4);
		return len == 4 && le32toh(crc) == e->crc;
	default:
		return len == 0;
	}
}

static int open_node(const char *node)
{
	double end = time(NULL) + REOPEN_SECS;
	int fd;

	while ((fd = open(node, O_RDWR)) < 0 && !*stop && time(NULL) < end)
		usleep(2000);	/* the device is being re-plugged or re-bound */
	return fd;
}

/* Wait up to @secs for an answer on @fd; 0 when none came. */
static int readable(int fd, int secs)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, secs * 1000) > 0;
}

/*
 * One process on its own file: up to @depth outstanding, blocking calls.
 * After the stop, drains with a timeout per answer.
 */
static void proc_worker(const char *node, int depth, unsigned int seed,
			struct stats *s)
{
	size_t cap = sizeof(struct virtio_simple_hdr) + max_payload;
	uint8_t *out = malloc(cap), *in = malloc(cap), *scratch = malloc(cap);
	static struct expect table[TABLE];
	uint64_t next_id = 1, outstanding = 0;
	int fd = open_node(node), gone = 0;

	s->opened = 1;

	while (fd >= 0) {
		int draining = *stop, err;
		ssize_t n;

		if (draining && !outstanding)
			break;
		if (!draining && !gone && outstanding < (uint64_t)depth &&
		    (!outstanding || rand_r(&seed) % 3)) {
			struct expect e;
			size_t len = make_req(out, next_id, &e, &seed);

			if (write(fd, out, len) == (ssize_t)len) {
				table[next_id % TABLE] = e;
				next_id++;
				outstanding++;
				s->sent++;
				continue;
			}
			err = errno;
			count(s->refused_by, err);
			if (err != ENODEV) {
				usleep(1000);	/* broken device: do not spin */
				continue;
			}
			if (outstanding) {
				gone = 1;	/* read what had arrived first */
				continue;
			}
		} else {
			struct virtio_simple_hdr h;
			struct expect *e;

			if (draining && !readable(fd, DRAIN_SECS))
				break;	/* what is outstanding is lost */
			n = read(fd, in, cap);
			if (n >= (ssize_t)sizeof(h)) {
				memcpy(&h, in, sizeof(h));
				e = &table[le64toh(h.id) % TABLE];
				if (e->id == le64toh(h.id) &&
				    (le16toh(h.status) & VIRTIO_SIMPLE_S_DRIVER)) {
					/* a failure named by its id */
					count(s->failed_by, le16toh(h.status) &
						  ~VIRTIO_SIMPLE_S_DRIVER);
					s->failed++;
				} else if (e->id == le64toh(h.id) &&
					   answer_ok(e, le16toh(h.op), le16toh(h.status),
						     in + sizeof(h), n - sizeof(h), scratch)) {
					s->answered++;
				} else {
					s->bad++;
				}
				e->id = 0;
				outstanding--;
				continue;
			}
			err = n < 0 ? errno : EPROTO;
			if (err == EINTR)
				continue;
			if (err != ENODEV) {
				count(s->failed_by, err);
				s->failed++;
				outstanding--;
				continue;
			}
		}
		/* ENODEV: every outstanding request failed with the device */
		s->failed_by[ENODEV] += outstanding;
		s->failed += outstanding;
		outstanding = 0;
		gone = 0;
		close(fd);
		if (*stop)
			break;
		fd = open_node(node);
		s->reopens++;
	}
	if (fd >= 0)
		close(fd);
}

/* The threads' shared file and their shared table of expectations. */
struct shared_fd {
	int fd, dead;
	uint64_t next_id;
	pthread_mutex_t lock;
	struct expect table[TABLE];
	struct stats *s;
};

struct thread_arg {
	struct shared_fd *sh;
	int call;		/* IOC_CALL instead of write+read */
	unsigned int seed;
};

/* ENODEV on the shared file: fail what is outstanding, once.  Locked. */
static void shared_dead(struct shared_fd *sh)
{
	uint64_t left = sh->s->sent - sh->s->answered - sh->s->failed -
			sh->s->bad;

	if (sh->dead)
		return;
	sh->dead = 1;
	sh->s->failed_by[ENODEV] += left;
	sh->s->failed += left;
}

static void *thread_worker(void *p)
{
	struct thread_arg *a = p;
	struct shared_fd *sh = a->sh;
	size_t cap = sizeof(struct virtio_simple_hdr) + max_payload;
	uint8_t *out = malloc(cap), *in = malloc(cap), *scratch = malloc(cap);
	struct virtio_simple_hdr h;
	struct expect e, *t;
	ssize_t n;
	size_t len;
	int ok, err;

	while (!*stop && !sh->dead) {
		pthread_mutex_lock(&sh->lock);
		len = make_req(out, sh->next_id++, &e, &a->seed);
		pthread_mutex_unlock(&sh->lock);
		if (a->call) {
			struct virtio_simple_call c = {
				.op = e.op, .req_len = e.len,
				.req_buf = (uintptr_t)(out + sizeof(h)),
				.resp_buf = (uintptr_t)in, .resp_cap = max_payload,
			};

			n = ioctl(sh->fd, VIRTIO_SIMPLE_IOC_CALL, &c);
			err = errno;
			ok = !n && answer_ok(&e, e.op, c.status, in, c.resp_len, scratch);
			pthread_mutex_lock(&sh->lock);
			sh->s->sent++;	/* a call is sent and waited for at once */
			if (!n) {
				sh->s->answered += ok;
				sh->s->bad += !ok;
			} else if (err == ENODEV) {
				sh->s->failed_by[ENODEV]++;
				sh->s->failed++;
				shared_dead(sh);
			} else {
				count(sh->s->failed_by, err);
				sh->s->failed++;
			}
			pthread_mutex_unlock(&sh->lock);
			continue;
		}
		/* write one, then read one answer: maybe another thread's */
		pthread_mutex_lock(&sh->lock);
		sh->table[e.id % TABLE] = e;
		pthread_mutex_unlock(&sh->lock);
		if (write(sh->fd, out, len) != (ssize_t)len) {
			err = errno;
			pthread_mutex_lock(&sh->lock);
			sh->table[e.id % TABLE].id = 0;
			count(sh->s->refused_by, err);
			if (err == ENODEV)
				shared_dead(sh);
			pthread_mutex_unlock(&sh->lock);
			continue;
		}
		pthread_mutex_lock(&sh->lock);
		sh->s->sent++;
		pthread_mutex_unlock(&sh->lock);
		if (!readable(sh->fd, DRAIN_SECS))
			break;		/* lost: counted from the totals */
		n = read(sh->fd, in, cap);
		err = errno;
		pthread_mutex_lock(&sh->lock);
		if (n >= (ssize_t)sizeof(h)) {
			memcpy(&h, in, sizeof(h));
			t = &sh->table[le64toh(h.id) % TABLE];
			if (t->id == le64toh(h.id) &&
			    (le16toh(h.status) & VIRTIO_SIMPLE_S_DRIVER)) {
				count(sh->s->failed_by, le16toh(h.status) &
					  ~VIRTIO_SIMPLE_S_DRIVER);
				sh->s->failed++;
			} else {
				ok = t->id == le64toh(h.id) &&
				     answer_ok(t, le16toh(h.op), le16toh(h.status),
					       in + sizeof(h), n - sizeof(h), scratch);
				sh->s->answered += ok;
				sh->s->bad += !ok;
			}
			t->id = 0;
		} else if (n < 0 && err == ENODEV) {
			shared_dead(sh);
		} else {
			count(sh->s->failed_by, n < 0 ? err : EPROTO);
			sh->s->failed++;
		}
		pthread_mutex_unlock(&sh->lock);
	}
	free(out);
	free(in);
	free(scratch);
	return NULL;
}

static void threads_worker(const char *node, int nthreads, struct stats *s)
{
	struct shared_fd sh = { .fd = open_node(node), .next_id = 1, .s = s };
	struct thread_arg a[MAX_WORKERS];
	pthread_t t[MAX_WORKERS];

	s->opened = 1;
	if (sh.fd < 0)
		return;
	pthread_mutex_init(&sh.lock, NULL);
	for (int i = 0; i < nthreads; i++) {
		a[i] = (struct thread_arg){ .sh = &sh, .call = i % 2, .seed = 1000 + i };
		pthread_create(&t[i], NULL, thread_worker, &a[i]);
	}
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	close(sh.fd);
}

static void on_stop(int sig)
{
	(void)sig;
	*stop = 1;
}

static void print_by(const char *what, const uint64_t *by)
{
	for (int e = 0; e < MAX_ERRNO; e++)
		if (by[e])
			printf(" %s_%s=%llu", what, e ? strerrorname_np(e) : "other",
			       (unsigned long long)by[e]);
}

int main(int argc, char **argv)
{
	int procs = 4, threads = 0, depth = 16, secs = 0, opt, nodes, nw = 0;
	pid_t pid[MAX_WORKERS];
	struct stats *st, total = { 0 };
	uint64_t lost = 0, hung = 0;
	struct virtio_simple_info info;
	double end;
	int fd;

	while ((opt = getopt(argc, argv, "p:t:d:s:")) != -1) {
		switch (opt) {
		case 'p': procs = atoi(optarg); break;
		case 't': threads = atoi(optarg); break;
		case 'd': depth = atoi(optarg); break;
		case 's': secs = atoi(optarg); break;
		default: return 2;
		}
	}
	nodes = argc - optind;
	if (nodes < 1 || procs + !!threads > MAX_WORKERS || threads > MAX_WORKERS ||
	    depth < 1 || depth >= TABLE / 2) {
		fprintf(stderr, "usage: stress_load [-p PROCS] [-t THREADS] [-d DEPTH] [-s SECONDS] NODE...\n");
		return 2;
	}
	stop = mmap(NULL, sizeof(*stop), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	signal(SIGUSR1, on_stop);
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	crc_init();
	fd = open(argv[optind], O_RDWR);
	if (fd < 0 || ioctl(fd, VIRTIO_SIMPLE_IOC_INFO, &info)) {
		perror(argv[optind]);
		return 1;
	}
	max_payload = info.max_payload;
	close(fd);
	st = mmap(NULL, sizeof(*st) * MAX_WORKERS, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	for (nw = 0; nw < procs + !!threads; nw++) {
		pid[nw] = fork();
		if (pid[nw])
			continue;
		if (nw < procs)
			proc_worker(argv[optind + nw % nodes], depth, 42 + nw, &st[nw]);
		else
			threads_worker(argv[optind], threads, &st[nw]);
		st[nw].done = 1;
		_exit(0);
	}
	/* "started" once every worker has its file (a marker for the caller) */
	end = time(NULL) + REOPEN_SECS;
	for (int i = 0; i < nw; i++)
		while (!st[i].opened && time(NULL) < end)
			usleep(1000);
	printf("stress_load: started: %d processes (depth %d), %d threads on one file, %d node(s), %s\n",
	       procs, depth, threads, nodes, secs ? "timed" : "until SIGUSR1");
	fflush(stdout);
	end = time(NULL) + secs;
	while (!*stop && (!secs || time(NULL) < end))
		usleep(100000);	/* a signal sets *stop */
	*stop = 1;
	end = time(NULL) + HANG_SECS;
	for (int i = 0; i < nw; i++) {
		int status;

		while (waitpid(pid[i], &status, WNOHANG) == 0 && time(NULL) < end)
			usleep(10000);
		if (!st[i].done) {
			kill(pid[i], SIGKILL);
			waitpid(pid[i], &status, 0);
			hung++;
			fprintf(stderr, "stress_load: worker %d hung\n", i);
		}
	}
	for (int i = 0; i < nw; i++) {
		total.sent += st[i].sent;
		total.answered += st[i].answered;
		total.failed += st[i].failed;
		total.bad += st[i].bad;
		total.reopens += st[i].reopens;
		lost += st[i].sent - st[i].answered - st[i].failed - st[i].bad;
		for (int e = 0; e < MAX_ERRNO; e++) {
			total.refused_by[e] += st[i].refused_by[e];
			total.failed_by[e] += st[i].failed_by[e];
		}
	}
	printf("STRESS-LOAD sent=%llu answered=%llu failed=%llu bad=%llu lost=%llu hung=%llu reopens=%llu",
	       (unsigned long long)total.sent, (unsigned long long)total.answered,
	       (unsigned long long)total.failed, (unsigned long long)total.bad,
	       (unsigned long long)lost, (unsigned long long)hung,
	       (unsigned long long)total.reopens);
	print_by("failed", total.failed_by);
	print_by("refused", total.refused_by);
	printf("\n");
	return lost || hung || total.bad ? 1 : 0;
}
