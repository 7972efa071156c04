#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Zero-gap restart: a banned host pings every 2 ms while the daemon is
# stopped and started twice with --keep-attached, the second time with a
# bigger ban map (so the pinned map is migrated); every packet sent must
# show up in the drop counter and none may be answered, and the program
# must really have been replaced. The control: a plain restart (SIGTERM
# detaches) lets packets through, so the method does see a gap.
. "$(dirname "$0")/lib.sh"
need_root
need_tools ping nsenter ip python3 bpftool
ensure_bpffs

make_lan
drops() { xg "$V" stats --json --interval 0.1 | jq_py "sum(x['pkts'] for x in d['drop'].values())"; }
prog_id() { xg "$V" status --json | jq_py "d['interfaces'][0]['prog_id']"; }
# Background ping from the attacker: count, interval.
flood() {
	in_ns "$X" ping -q -c "$1" -i "$2" -W 1 10.77.0.1 >"$T_DIR/ping.txt" 2>&1 &
	PING_PID=$!
	T_PIDS+=("$PING_PID")
}
flood_result() { # sets SENT and GOT
	wait "$PING_PID"
	SENT=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$T_DIR/ping.txt")
	GOT=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$T_DIR/ping.txt")
}

start_daemon "$V" eth0 --keep-attached --state-file none
ok $? "run --keep-attached"
check "ban the attacker 10.77.0.66" xg "$V" ban 10.77.0.66 --reason port_scan
check "ban 203.0.113.0/24 too (a prefix ban to carry over)" \
	xg "$V" ban 203.0.113.0/24
p0=$(prog_id)
d0=$(drops)
flood 2500 0.002
sleep 0.5

stop_daemon
ok $([ "$DAEMON_RC" -eq 0 ]; echo $?) "SIGTERM exits 0 (rc=$DAEMON_RC)"
check "the program stays attached after a --keep-attached exit" has_xdp "$V" eth0
check "the exit says so" grep -q 'leaving the program attached' "$T_DIR/daemon.log"
start_daemon "$V" eth0 --keep-attached --state-file none
ok $? "restart 1: same settings"
p1=$(prog_id)
sleep 0.5
stop_daemon
# An older version's admission sketch (one 16 KiB slot array per CPU) and
# verdict cache (48-byte slots) in the pins: scratch state, so they are
# replaced, not refused.
sk=$XDPGUARD_PIN_DIR/admit_sketch vc=$XDPGUARD_PIN_DIR/vcache
rm -f "$sk" "$vc"
bpftool map create "$sk" type percpu_array key 4 value 16384 entries 1 \
	name admit_sketch &&
	bpftool map create "$vc" type percpu_array key 4 value 48 \
		entries 4096 name vcache
ok $? "an old-layout admit_sketch and vcache are pinned in place of the new ones"
start_daemon "$V" eth0 --keep-attached --state-file none --bans-max 131072
ok $? "restart 2: a bigger ban map (the pinned one is migrated)"
check "... and the old admission sketch was replaced by one of the new layout" \
	sh -c "bpftool map show pinned '$sk' | grep -q 'value 32768B  max_entries 4 '"
check "... and so was the old verdict cache" \
	sh -c "bpftool map show pinned '$vc' | grep -q 'value 32B  max_entries 4096 '"
p2=$(prog_id)
flood_result
d1=$(drops)

ok $([ "${SENT:-0}" -ge 2000 ]; echo $?) "the attacker sent ${SENT:-?} pings through both restarts"
ok $([ "${GOT:-x}" = 0 ]; echo $?) "not one was answered (got ${GOT:-?})"
ok $([ $((d1 - d0)) -eq "${SENT:-0}" ]; echo $?) \
	"every one is in the drop counter ($((d1 - d0)) dropped of ${SENT:-?} sent)"
ok $([ "$p0" != "$p1" ] && [ "$p1" != "$p2" ] && [ "$p2" -gt 0 ]; echo $?) \
	"each restart replaced the program (ids $p0 -> $p1 -> $p2)"
n=$(xg "$V" status --json | jq_py "d['maps']['bans']['max_entries']")
ok $([ "$n" = 131072 ]; echo $?) "the ban map is the new, bigger one ($n)"
n=$(xg "$V" bans --json | jq_py "len([b for b in d if (b['addr'], b['reason']) in (('10.77.0.66', 'port_scan'), ('203.0.113.0/24', 'manual'))])")
ok $([ "$n" = 2 ]; echo $?) "both bans carried over with their reasons"

# The control: without --keep-attached the old daemon detaches on exit.
stop_daemon
start_daemon "$V" eth0 --state-file none
ok $? "run without --keep-attached"
flood 1500 0.002
sleep 0.5
stop_daemon
check "SIGTERM detached the program" eval "! has_xdp $V eth0"
sleep 0.3
start_daemon "$V" eth0 --state-file none
flood_result
ok $([ "${GOT:-0}" -gt 0 ]; echo $?) \
	"control: a plain restart lets the banned host through (${GOT:-?} of ${SENT:-?} answered)"
stop_daemon

finish
