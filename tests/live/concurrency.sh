#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Two CLI writers and the daemon at once: writer A bans and re-bans IPv4
# addresses, writer B IPv6 ones, each with short TTLs that expire while the
# daemon sweeps every 50 ms, then leaves a known final set. The final bans
# must be exactly the union of what the writers left: none lost to the
# sweeper, none corrupted, none left over.
. "$(dirname "$0")/lib.sh"
need_root
need_tools nsenter ip python3
ensure_bpffs

A=xgka$T_ID B=xgkb$T_ID
new_ns "$A"
new_ns "$B"
link_ns "$A" xg0 10.77.0.1/24 "$B" xg1 10.77.0.2/24
start_daemon "$A" xg0 --poll-ms 50
ok $? "daemon started (sweeping every 50 ms)"

N=24
ROUNDS=6
writer_a() { # IPv4, reason manual; leaves the even ones banned for good
	local r i
	for r in $(seq 1 $ROUNDS); do
		for i in $(seq 1 $N); do
			xg "$A" ban 10.77.1.$i --ttl 1s >/dev/null || echo "A: ban $i failed"
		done
		sleep 0.$((RANDOM % 5 + 6))
		for i in $(seq 2 2 $N); do
			xg "$A" ban 10.77.1.$i >/dev/null || echo "A: ban $i failed"
		done
		for i in $(seq 1 2 $N); do
			xg "$A" unban 10.77.1.$i >/dev/null 2>&1 # may be swept already
		done
	done
	return 0 # not the status of the last unban, which may find it swept
}
writer_b() { # IPv6, reason port_scan; leaves the odd ones banned for good
	local r i
	for r in $(seq 1 $ROUNDS); do
		for i in $(seq 1 $N); do
			xg "$A" ban fd77:1::$i --ttl 1s --reason port_scan >/dev/null ||
				echo "B: ban $i failed"
		done
		sleep 0.$((RANDOM % 5 + 6))
		for i in $(seq 1 2 $N); do
			xg "$A" ban fd77:1::$i --reason port_scan >/dev/null ||
				echo "B: ban $i failed"
		done
	done
	for i in $(seq 2 2 $N); do
		xg "$A" unban fd77:1::$i >/dev/null 2>&1
	done
	return 0 # as for writer A: an unban may find the ban swept
}

timeout 100 bash -c "$(declare -f xg in_ns writer_a); A=$A N=$N ROUNDS=$ROUNDS XDPGUARD=$XDPGUARD writer_a" >"$T_DIR/a.log" 2>&1 &
pa=$!
timeout 100 bash -c "$(declare -f xg in_ns writer_b); A=$A N=$N ROUNDS=$ROUNDS XDPGUARD=$XDPGUARD writer_b" >"$T_DIR/b.log" 2>&1 &
pb=$!
wait $pa
ra=$?
wait $pb
rb=$?
ok $([ $ra -eq 0 ] && [ ! -s "$T_DIR/a.log" ]; echo $?) "writer A finished, every ban accepted ($(head -c 200 "$T_DIR/a.log"))"
ok $([ $rb -eq 0 ] && [ ! -s "$T_DIR/b.log" ]; echo $?) "writer B finished, every ban accepted ($(head -c 200 "$T_DIR/b.log"))"

# Let the last 1 s bans expire and be swept.
sleep 1.5
want=$(
	for i in $(seq 2 2 $N); do echo "10.77.1.$i manual None 1"; done
	for i in $(seq 1 2 $N); do echo "fd77:1::$i port_scan None 1"; done
)
got=$(xg "$A" bans --json | python3 -c '
import json, sys
for b in json.load(sys.stdin):
    print(b["addr"], b["reason"], b["expires_in"], b["repeat"])')
diff <(echo "$want" | sort) <(echo "$got" | sort) >"$T_DIR/diff"
ok $? "final bans are exactly the writers' ($(wc -l <"$T_DIR/diff") diff lines: $(head -c 300 "$T_DIR/diff" | tr '\n' ' '))"
# A loaded machine may delay the sweep past the sleep above: allow for it.
wait_for 5 grep -q '"event":"unban"' "$T_DIR/daemon.log"
n=$(grep -c '"event":"unban"' "$T_DIR/daemon.log")
ok $([ "$n" -gt 0 ]; echo $?) "the daemon swept expired bans meanwhile ($n unbans)"
# The kernel map holds nothing else: no expired leftovers once swept.
left=$(xg "$A" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["maps"]["bans"]["entries"])')
ok $([ "$left" -eq $N ]; echo $?) "the bans map holds exactly $N entries (got $left)"
kill -0 "$DAEMON_PID"
ok $? "the daemon is still running"

finish
