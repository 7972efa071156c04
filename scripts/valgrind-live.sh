#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The daemon's live tests with the daemon under valgrind (memcheck): each
# daemon's log must show zero errors and no definite or indirect leak. The
# floods are left out (valgrind is ~50x slower than a poll can afford), and
# so is crash.sh's SIGKILL, which leaves nothing to report. Prints TAP.
set -u
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || {
	echo "ok 1 - valgrind # SKIP valgrind not installed"
	exit 0
}
VG=$(mktemp -d /tmp/xg-valgrind.XXXXXX)
trap 'rm -rf "$VG"' EXIT
export XG_DAEMON_WRAP="valgrind --suppressions=$PWD/tests/valgrind.supp --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --track-fds=no --log-file=$VG/%p.log"
n=0 fail=0
for t in basic selfprotect concurrency cli_errors; do
	timeout 600 bash "tests/live/$t.sh" >"$VG/$t.tap" 2>&1
	rc=$?
	f=$(grep -c '^not ok' "$VG/$t.tap")
	n=$((n + 1))
	if [ $rc -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "ok $n - live/$t passes with the daemon under valgrind"
	else
		echo "not ok $n - live/$t under valgrind: exit $rc, $f failures"
		grep '^not ok' "$VG/$t.tap" | head -5 | sed 's/^/#   /'
		fail=$((fail + 1))
	fi
done
logs=$(ls "$VG"/*.log 2>/dev/null | wc -l)
for l in "$VG"/*.log; do
	[ -f "$l" ] || continue
	n=$((n + 1))
	# Definite and indirect leaks count as errors (--errors-for-leak-kinds).
	sum=$(grep -o 'ERROR SUMMARY: .*' "$l" | tail -1)
	leak=$(grep -oE '(definitely|indirectly) lost: [0-9,]+ bytes' "$l" | tr '\n' ' ')
	if grep -q 'ERROR SUMMARY: 0 errors' "$l"; then
		echo "ok $n - daemon $(basename "$l" .log): $sum ${leak:-no leaks}"
	else
		echo "not ok $n - daemon $(basename "$l" .log): valgrind reports"
		grep -vE 'WARNING: unhandled eBPF' "$l" | head -60 | sed 's/^/#   /'
		fail=$((fail + 1))
	fi
done
n=$((n + 1))
ok=$([ "$logs" -ge 4 ] && echo ok || echo "not ok")
echo "$ok $n - $logs daemons ran under valgrind"
[ "$ok" = ok ] || fail=$((fail + 1))
echo "1..$n"
[ $fail -eq 0 ]
