#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Runs the XDP parser fuzzer for FUZZ_SECONDS (default 10) from the seed
# corpus and reports one TAP line: the frames fuzzed, or the invariant that
# broke and the frame that broke it (saved under .output/fuzz/).
# New inputs go to .output/fuzz/corpus, never into the committed seeds.
set -u
cd "$(dirname "$0")/../.."
BIN=.output/tests/fuzz_xdp
SECS=${FUZZ_SECONDS:-10}
WORK=.output/fuzz
mkdir -p "$WORK/corpus"
log=$WORK/fuzz.log

if [ "$(id -u)" -ne 0 ]; then
	echo "ok 1 - fuzz # SKIP BPF_PROG_TEST_RUN needs root"
	echo "1..1"
	exit 0
fi
if [ ! -x "$BIN" ]; then
	echo "not ok 1 - fuzz: $BIN not built (make build-tests)"
	echo "1..1"
	exit 1
fi
# -max_len: Ethernet MTU frames and some; -timeout: one frame must never hang.
timeout $((SECS + 60)) "$BIN" -max_total_time="$SECS" -max_len=1600 \
	-timeout=10 -print_final_stats=1 -artifact_prefix="$WORK/" \
	"$WORK/corpus" tests/fuzz/corpus >"$log" 2>&1
rc=$?
runs=$(sed -n 's/^Done \([0-9]*\) runs in .*/\1/p' "$log" | tail -1)
summary=$(grep '^fuzz_xdp: .*frames checked' "$log" | tail -1)
if [ $rc -eq 0 ] && [ -n "$runs" ] && [ "$runs" -gt 0 ]; then
	echo "# ${summary#fuzz_xdp: }"
	echo "ok 1 - fuzz: $runs frames through the XDP program in ${SECS}s, every invariant held"
else
	grep -E 'fuzz_xdp:|ERROR|SUMMARY|Test unit written' "$log" | head -20 |
		sed 's/^/# /'
	echo "not ok 1 - fuzz: exit status $rc after ${runs:-no} runs (log: $log)"
fi
echo "1..1"
[ $rc -eq 0 ]
