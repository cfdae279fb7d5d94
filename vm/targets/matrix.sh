#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make matrix`: the qtests and the guest suites (guest-*, trace-*) on each
# combination of QEMU and guest kernel from the two targets (vm/lib.sh):
# stable (QEMU 7.2, Linux 6.1) and backports (QEMU 10.0, Linux 6.12).
# Prints a table of counts per combination, or why one was skipped or
# failed; exits 1 when a check failed or a selected combination's QEMU,
# kernel or driver could not be built.  Logs: build/matrix/.
#   VSIMPLE_HEAVY_LOCK=FILE  each build and each suite run under flock FILE,
#                            so other jobs on a shared machine interleave
#   VSIMPLE_MATRIX_SUITES    the guest suites (globs, default "guest-* trace-*")
#   VSIMPLE_QTEST_FLAVOUR=plain  qtests without the sanitizer builds
#                            (tests/qtest.sh), when their cost does not fit
#   VSIMPLE_MATRIX_ONLY="QEMU+KERNEL ..."  only these combinations, each
#                            target's name, e.g. "backports+stable"; no qtests
#                            unless it also names "qtest"
# The qtests depend on QEMU only: they run once per QEMU and are shown in
# both of its rows.
set -uo pipefail	# no -e: one combination failing must not stop the rest
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
out="$VS_TOP/build/matrix"
mkdir -p "$out"
targets=(stable backports)
suites=${VSIMPLE_MATRIX_SUITES:-guest-* trace-*}
unset VSIMPLE_KVER	# resolved per target below
# one suite at a time, as before tests/run.sh ran them side by side: QEMU
# 10's guests take a thread per vCPU, and VSIMPLE_HEAVY_LOCK's measure is
# one job's time
export VSIMPLE_JOBS=${VSIMPLE_JOBS:-1}

# heavy CMD...: CMD under the lock, its own time (without the wait for the
# lock) added to $out/.seconds
heavy() {
	local run=(bash -c 's=$SECONDS; "$@"; rc=$?; echo $((SECONDS - s)) >>"$VS_MATRIX_SECONDS"; exit $rc' heavy "$@")
	if [ -n "${VSIMPLE_HEAVY_LOCK:-}" ]; then flock "$VSIMPLE_HEAVY_LOCK" "${run[@]}"; else "${run[@]}"; fi
}
export VS_MATRIX_SECONDS="$out/.seconds"
: >"$VS_MATRIX_SECONDS"
begin=$SECONDS
# counts LOG: "N passed, N failed, N skipped", tests/run.sh's last line
counts() { grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$1" | tail -n 1; }
mins() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
busy() { mins "$(tail -n 1 "$VS_MATRIX_SECONDS")"; }	# the last heavy step's

declare -A qemu qname qskip qtest kimg kname initrd kskip
failed=0
for t in "${targets[@]}"; do
	export VSIMPLE_TARGET=$t
	log="$out/qemu-$t.log"
	if [ -n "${VSIMPLE_MATRIX_ONLY:-}" ] && [[ " $VSIMPLE_MATRIX_ONLY " != *" $t+"* ]]; then
		qname[$t]="QEMU ($t)"
		qskip[$t]="QEMU $t not selected (VSIMPLE_MATRIX_ONLY)"
	elif src=$("$VS_TOP/vm/fetch/fetch-qemu.sh" 2>"$log") && b=$(heavy "$VS_TOP/vm/builders/build-qemu.sh" 2>>"$log"); then
		qemu[$t]=$b/qemu-system-x86_64
		qname[$t]="QEMU $(cat "$src/VERSION")"
		# fetch-qemu.sh's fallback when the mirror serves only the tarball
		[ ! -f "$src/.origin" ] || qname[$t]+=" (upstream tarball, no Debian patches)"
		vs_say "matrix: ${qname[$t]} ($t) ready, build $(busy)"
	else
		qname[$t]="QEMU ($t)"
		qskip[$t]="QEMU $t: $(grep -m1 'error' "$log" || tail -n 1 "$log") (log $log)"
	fi

	log="$out/kernel-$t.log"
	kv=$(vs_kernel_version 2>"$log") || kv=""
	kname[$t]="Linux ${kv:-($t)}"
	kd="$out/kernel-$kv"
	if [ -z "$kv" ]; then
		kskip[$t]="kernel $t: version not resolved (log $log)"
	elif ! { kdir=$("$VS_TOP/vm/fetch/fetch-kernel.sh") && kbuild=$("$VS_TOP/vm/fetch/fetch-headers.sh"); } 2>>"$log"; then
		kskip[$t]="kernel $kv: fetch failed (log $log)"
	else
		# the driver against that kernel, in a directory of links to
		# the sources (as check-debug does): driver/ is left alone
		vs_link_driver "$kd"
		if make -C "$kbuild" M="$kd/driver" modules >>"$log" 2>&1 &&
			GUEST_KVER=$kv GUEST_KDIR=$kdir GUEST_KO="$kd/driver/virtio-simple.ko" \
			GUEST_KBUILD=$kbuild "$VS_TOP/vm/image/make-guest.sh" "$kd/guest.cpio" >>"$log" 2>&1; then
			kimg[$t]="$kdir/boot/vmlinuz-$kv"
			initrd[$t]="$kd/guest.cpio"
		else
			kskip[$t]="kernel $kv: driver or initramfs build failed (log $log)"
		fi
	fi

	if [ -n "${VSIMPLE_MATRIX_ONLY:-}" ] && [[ " $VSIMPLE_MATRIX_ONLY " != *" qtest "* ]]; then
		qtest[$t]="not selected (VSIMPLE_MATRIX_ONLY)"
	elif [ -z "${qskip[$t]:-}" ]; then
		log="$out/qtest-$t.log"
		VSIMPLE_TEST_LOGS="$out/qtest-$t" VSIMPLE_SUITES="qtest-*" heavy "$VS_TOP/tests/run.sh" >"$log" 2>&1
		qtest[$t]="$(counts "$log" || echo "no result (log $log)") ($(busy))"
		grep -q ' 0 failed' <<<"${qtest[$t]}" || failed=1
		vs_say "matrix: qtests on ${qname[$t]}: ${qtest[$t]}"
	fi
done

declare -A result
for q in "${targets[@]}"; do
	for k in "${targets[@]}"; do
		c="$q-qemu+$k-kernel"
		why="${qskip[$q]:-}${qskip[$q]:+; }${kskip[$k]:-}"
		[ -z "${VSIMPLE_MATRIX_ONLY:-}" ] || [[ " $VSIMPLE_MATRIX_ONLY " == *" $q+$k "* ]] ||
			why="not selected (VSIMPLE_MATRIX_ONLY)"
		# a combination left out on purpose is skipped; one whose QEMU,
		# kernel or driver failed to build has failed
		if [[ $why == "not selected"* ]]; then
			result[$c]="skipped: $why"
			continue
		elif [ -n "$why" ]; then
			result[$c]="FAILED: $why"
			failed=1
			continue
		fi
		d="$out/$c"
		rm -rf "$d" && mkdir -p "$d"
		VSIMPLE_TARGET=$q VSIMPLE_QEMU=${qemu[$q]} VSIMPLE_KERNEL=${kimg[$k]} \
			VSIMPLE_INITRD=${initrd[$k]} VSIMPLE_FIRMWARE=/usr/share/seabios:/usr/share/qemu \
			VSIMPLE_ACCEL=${VSIMPLE_ACCEL:-tcg} VSIMPLE_TEST_LOGS="$d/logs" \
			VSIMPLE_TRACE_DIR="$d/trace" VSIMPLE_SUITES="$suites" \
			heavy "$VS_TOP/tests/run.sh" >"$d/run.log" 2>&1
		r=$(counts "$d/run.log") || r="no result"
		grep -q ' 0 failed' <<<"$r" || failed=1
		result[$c]="$r ($(busy); $d/run.log)"
		vs_say "matrix: ${qname[$q]} + ${kname[$k]}: ${result[$c]}"
	done
done

{
	echo "make matrix: guest suites \"$suites\"; qtests once per QEMU (${VSIMPLE_QTEST_FLAVOUR:-asan} build)"
	for q in "${targets[@]}"; do
		for k in "${targets[@]}"; do
			c="$q-qemu+$k-kernel"
			printf '%-16s + %-26s qtests: %s\n%46s guest: %s\n' "${qname[$q]}" "${kname[$k]}" \
				"${qtest[$q]:-not run}" "" "${result[$c]}"
		done
	done
	busy=$(awk '{ s += $1 } END { print s + 0 }' "$VS_MATRIX_SECONDS")
	echo "time: $(mins $((SECONDS - begin))) in all, $(mins "$busy") of it in builds and suite runs (the rest waiting for VSIMPLE_HEAVY_LOCK, fetching, packing initramfs)"
} | tee "$out/table.txt"
exit "$failed"
