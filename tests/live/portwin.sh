#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A port window other than the default (run --port-win-shift): the XDP
# program tags each source's port sketch with its window, and stats/top
# must read it under the same window (the loader records it in meta), or
# every sketch looks stale and shows 0 ports.
. "$(dirname "$0")/lib.sh"
need_root
need_tools nsenter ip python3 hping3
ensure_bpffs

A=xgwa$T_ID B=xgwb$T_ID
new_ns "$A"
new_ns "$B"
link_ns "$A" xg0 10.77.0.1/24 "$B" xg1 10.77.0.2/24
# 2^31 ns = 2.1 s windows; 12 ports stay below the scan threshold (24).
start_daemon "$A" xg0 --port-win-shift 31
ok $? "daemon started with 2.1 s port windows"

ports() {
	xg "$A" stats --json --interval 0.1 | jq_py "max([x['tcp_ports'] for x in d['top']['ports'] if x['addr'] == '10.77.0.2'] or [0])"
}
got=0
for try in 1 2 3; do
	# Started early in a window, so the 12 probes (0.24 s) fit in one.
	wait_for 3 python3 -c "import time,sys; sys.exit(0 if time.clock_gettime_ns(time.CLOCK_MONOTONIC) % (1 << 31) < (1 << 30) else 1)"
	in_ns "$B" timeout 10 hping3 -q -S -p ++4000 -c 12 -i u20000 10.77.0.1 \
		>/dev/null 2>&1
	got=$(ports)
	[ "$got" -ge 10 ] && break
done
ok $([ "$got" -ge 10 ]; echo $?) "stats shows the prober's distinct ports under that window (estimated $got for 12 probed)"
check "the prober is not banned (below the scan threshold)" \
	sh -c "! '$XDPGUARD' bans --json | grep -q '\"10.77.0.2\"'"

finish
