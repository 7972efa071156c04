#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Crash safety. After SIGKILL of the daemon: traffic keeps flowing, bans are
# still enforced and a TTL ban expires on time with nobody to sweep it; the
# next `run` takes the pinned link over, keeps the bans and counters, and
# sweeps what expired meanwhile. After a second SIGKILL, `detach` removes the
# program and every pin, and a new daemon can start.
. "$(dirname "$0")/lib.sh"
need_root
need_tools ping nsenter ip python3
ensure_bpffs

A=xgra$T_ID B=xgrb$T_ID
new_ns "$A"
new_ns "$B"
link_ns "$A" xg0 10.77.0.1/24 "$B" xg1 10.77.0.2/24
ip -n "$B" addr add 10.77.0.3/24 dev xg1
ip -n "$A" addr add fd77::1/64 dev xg0 nodad
ip -n "$B" addr add fd77::2/64 dev xg1 nodad

pings() { in_ns "$B" ping -q -c 2 -i 0.2 -W 1 "$@" >/dev/null 2>&1; }
nopings() { ! pings "$@"; }
js() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

start_daemon "$A" xg0 --mode native
ok $? "daemon started"
check "ping6 passes" pings fd77::1
xg "$A" ban 10.77.0.2 --ttl 8s >/dev/null
t_ban=$(date +%s.%N)
xg "$A" ban 10.77.0.3 >/dev/null
prog0=$(xg "$A" status --json | js 'd["interfaces"][0]["prog_id"]')
total0=$(xg "$A" stats --json --interval 0.2 | js 'd["total_pkts"]')

kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
check "after SIGKILL the program is still attached" has_xdp "$A" xg0
check "the link pin is still there" test -e "$XDPGUARD_PIN_DIR/link_xg0"
check "traffic keeps flowing (ping6)" pings fd77::1
check "the permanent ban is still enforced" nopings -I 10.77.0.3 10.77.0.1
check "the TTL ban is still enforced" nopings -I 10.77.0.2 10.77.0.1
xg "$A" status | grep -q 'daemon: *not running'
ok $? "status says the daemon is not running"
n=$(xg "$A" bans --json | js 'len(d)')
ok $([ "$n" -eq 2 ]; echo $?) "bans lists both bans without a daemon ($n)"

# The 8 s ban expires in the kernel on time, with nobody to sweep it.
left=$(python3 -c "import time; print(max(0.0, $t_ban + 3 - time.time()))")
sleep "$left"
check "3 s into an 8 s ban, it still holds" nopings -c 1 -W 1 -I 10.77.0.2 10.77.0.1
left=$(python3 -c "import time; print(max(0.0, $t_ban + 8.3 - time.time()))")
sleep "$left"
check "8.3 s in, it has expired without a daemon" pings -I 10.77.0.2 10.77.0.1
check "the permanent ban still holds" nopings -I 10.77.0.3 10.77.0.1

start_daemon "$A" xg0 --mode native
ok $? "run starts again after the crash"
prog1=$(xg "$A" status --json | js 'd["interfaces"][0]["prog_id"]')
ok $([ -n "$prog1" ] && [ "$prog1" != "$prog0" ]; echo $?) \
	"the new program was swapped into the pinned link (prog $prog0 -> $prog1)"
check "the permanent ban survived the crash" nopings -I 10.77.0.3 10.77.0.1
check "traffic flows under the new daemon" pings fd77::1
wait_for 3 grep -q '"event":"unban".*10.77.0.2' "$T_DIR/daemon.log"
ok $? "the new daemon swept the ban that expired meanwhile"
total1=$(xg "$A" stats --json --interval 0.2 | js 'd["total_pkts"]')
ok $([ "$total1" -gt "$total0" ]; echo $?) "counters carried over ($total0 -> $total1)"

kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
check "killed again: still attached" has_xdp "$A" xg0
out=$(xg "$A" detach -i xg0 2>&1)
ok $? "detach after a crash: $out"
check "detach removed the program" eval "! has_xdp $A xg0"
check "detach removed every pin" test ! -e "$XDPGUARD_PIN_DIR"
check "traffic from the banned address flows once detached" pings -I 10.77.0.3 10.77.0.1
start_daemon "$A" xg0
ok $? "a new daemon starts on the cleaned-up interface"
stop_daemon
ok $([ "$DAEMON_RC" -eq 0 ]; echo $?) "and stops cleanly"

finish
