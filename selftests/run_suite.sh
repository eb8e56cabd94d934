#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Guest side of the suite: run every test program of build/tests and then
# lifecycle.sh (it reloads the module), count their TAP results, print
# "N passed, N failed, N skipped" and leave the counts in $DVP_OUT/counts.

here=$(cd "$(dirname "$0")" && pwd)
tests=$here/../build/tests
pass=0 fail=0 skip=0

run_one() {
	name=$1; shift
	echo "# ---- $name"
	log=/tmp/$name.tap
	timeout "${DVP_TEST_TIMEOUT:-2400}" "$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(grep -c '^ok .*' "$log" | head -n1)
	s=$(grep -c '^ok .*# SKIP' "$log" | head -n1)
	f=$(grep -c '^not ok ' "$log" | head -n1)
	p=$((p - s))
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "not ok - $name exited with status $rc"
		f=1
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

for t in "$tests"/*_test; do
	[ -x "$t" ] || continue
	run_one "$(basename "$t")" "$t"
done
run_one lifecycle sh "$here/lifecycle.sh"

echo "$pass $fail $skip" >"${DVP_OUT:-/tmp}/counts"
echo "# guest suite on ${DVP_KERNEL:-this kernel}: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
