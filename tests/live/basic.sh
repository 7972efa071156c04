#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The foundation end to end: run attaches, ping passes until a ban, fails
# while banned, passes after unban and after a ban expires; stats counts what
# was sent; bans survive a restart; SIGTERM and detach leave nothing behind.
. "$(dirname "$0")/lib.sh"
need_root
need_tools ping nsenter ip
ensure_bpffs

A=xga$T_ID B=xgb$T_ID
new_ns "$A"
new_ns "$B"
link_ns "$A" xg0 10.77.0.1/24 "$B" xg1 10.77.0.2/24
ip -n "$A" addr add fd77::1/64 dev xg0 nodad
ip -n "$B" addr add fd77::2/64 dev xg1 nodad

pings() { in_ns "$B" ping -q -c "${2:-3}" -i 0.2 -W 1 "$1"; }
nopings() { ! in_ns "$B" ping -q -c 3 -i 0.2 -W 1 "$1"; }

start_daemon "$A" xg0 --mode native
ok $? "run attaches in native mode"
check "program attached to xg0" has_xdp "$A" xg0
check "status reports the interface" \
	sh -c "'$XDPGUARD' status | grep -q 'xg0 .*native'"
check "ping passes before any ban" pings 10.77.0.1
check "ping6 passes before any ban" pings fd77::1

check "ban 10.77.0.2" xg "$A" ban 10.77.0.2
check "ping fails while banned" nopings 10.77.0.1
check "ping6 still passes (other address)" pings fd77::1
n=$(xg "$A" bans --json | jq_py "len([b for b in d if b['addr']=='10.77.0.2' and b['reason']=='manual' and b['expires_in'] is None])")
ok $([ "$n" = 1 ]; echo $?) "bans --json lists the permanent manual ban"

drops=$(xg "$A" stats --json --interval 0.2 | jq_py "d['drop'].get('manual',{}).get('pkts',0)")
ok $([ "${drops:-0}" -ge 3 ]; echo $?) "stats counts the dropped pings (got ${drops:-none})"

check "unban 10.77.0.2" xg "$A" unban 10.77.0.2
check "ping passes after unban" pings 10.77.0.1

check "ban fd77::2 for 2s" xg "$A" ban fd77::2 --ttl 2s
check "ping6 fails while banned" nopings fd77::1
exp=$(xg "$A" bans --json | jq_py "[b['expires_in'] for b in d if b['addr']=='fd77::2'][0]")
ok $([ "$exp" -ge 1 ] && [ "$exp" -le 2 ]; echo $?) "expires_in counts down (got $exp)"
sleep 2.2
check "ping6 passes once the ban expired" pings fd77::1

# stats counted the source: at least the pings sent while it was unbanned.
pk=$(xg "$A" stats --json --interval 0.2 --top 10 | jq_py "max([s['pkts'] for s in d['top']['pkts'] if s['addr']=='10.77.0.2'] or [0])")
ok $([ "${pk:-0}" -ge 6 ]; echo $?) "stats counts packets per source (10.77.0.2: ${pk:-none})"

check "allow 10.77.0.0/24" xg "$A" allow 10.77.0.0/24
check "ban an allowlisted address" xg "$A" ban 10.77.0.2
check "allowlist wins over the ban" pings 10.77.0.1
check "unallow 10.77.0.0/24" xg "$A" unallow 10.77.0.0/24
check "the ban applies once unallowed" nopings 10.77.0.1

stop_daemon
ok $([ "$DAEMON_RC" -eq 0 ]; echo $?) "SIGTERM exits 0 (rc=$DAEMON_RC)"
check "SIGTERM detached the program" eval "! has_xdp $A xg0"
check "ping passes with the daemon stopped" pings 10.77.0.1

start_daemon "$A" xg0
ok $? "run again on the same interface"
check "the ban survived the restart" nopings 10.77.0.1
check "detach -i xg0" xg "$A" detach -i xg0
check "detach removed the program" eval "! has_xdp $A xg0"
check "detach removed the pins" test ! -e "$XDPGUARD_PIN_DIR"
wait_for 3 eval "! kill -0 $DAEMON_PID"
ok $? "the daemon exits once detached"
check "ping passes after detach" pings 10.77.0.1

finish
