#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Runs the test suites (all, or those named: unit prog fuzz asan live replay
# valgrind; all but valgrind by default) and
# totals their TAP output into one closing line "N passed, N failed". Every
# suite speaks TAP: cmocka through CMOCKA_MESSAGE_OUTPUT=TAP, the BPF verdict
# table and the shell suites by hand. A suite that dies without reporting a
# failure still counts as one.
set -u
cd "$(dirname "$0")/.."
OUT=.output
export CMOCKA_MESSAGE_OUTPUT=TAP
export XDPGUARD="$PWD/$OUT/xdpguard"

suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(unit prog fuzz asan live replay)

pass=0 fail=0 skip=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run() { # name, command...
	local name=$1 rc p f s
	shift
	printf '# --- %s\n' "$name"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	# cmocka reports a skipped test as "not ok N # SKIP": a skip, too.
	s=$(grep -cE '^(not )?ok .*# *(SKIP|skip)' "$log")
	p=$(($(grep -cE '^ok ' "$log") - $(grep -cE '^ok .*# *(SKIP|skip)' "$log")))
	f=$(grep -E '^not ok ' "$log" | grep -cvE '# *(TODO|SKIP|skip)')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc"
		f=1
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

for suite in "${suites[@]}"; do
	case $suite in
	unit)
		for t in $OUT/tests/test_*; do
			[ -x "$t" ] && run "unit/$(basename "$t")" "$t"
		done ;;
	prog)
		run prog "$OUT/tests/prog_test" ;;
	fuzz)
		FUZZ_SECONDS=${FUZZ_SECONDS:-10} run fuzz tests/fuzz/run.sh ;;
	asan)
		# The unit tests and the hostile-input test, built with ASan
		# and UBSan (make build-san): any report fails the test.
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23
		export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
		for t in .output-san/tests/test_*; do
			[ -x "$t" ] && run "asan/$(basename "$t")" "$t"
		done
		[ -x .output-san/xdpguard ] &&
			XDPGUARD=$PWD/.output-san/xdpguard run asan/cli_errors \
				timeout 600 bash tests/live/cli_errors.sh
		unset ASAN_OPTIONS UBSAN_OPTIONS ;;
	valgrind)
		run valgrind scripts/valgrind-live.sh ;;
	live|replay)
		for t in tests/$suite/*.sh; do
			[ -f "$t" ] && [ "$(basename "$t")" != lib.sh ] &&
				run "$suite/$(basename "$t" .sh)" timeout 600 bash "$t"
		done ;;
	*)
		echo "run-tests: unknown suite '$suite' (unit prog fuzz asan live replay valgrind)" >&2
		exit 2 ;;
	esac
done

echo
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
