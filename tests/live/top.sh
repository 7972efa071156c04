#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# `xdpguard top` in a real terminal (tmux): it draws totals, the daemon's
# alarms (a SYN flood, banned) and the sources with their verdicts (banned
# with time left, allowlisted, passing), switches sort on a key and exits on
# 'q'. Without a terminal it prints the stats stream, text or --json.
. "$(dirname "$0")/lib.sh"
need_root
need_tools nsenter ip tmux hping3 ping python3
ensure_bpffs

SOCK=$T_DIR/tmux.sock
pane() { tmux -S "$SOCK" capture-pane -p -t xgtop; }
pane_has() { pane | grep -qE "$1"; }

make_lan
start_daemon "$V" eth0
ok $? "daemon started"

# C pings over IPv4 (passing) and IPv6 (counted, then allowlisted); X
# floods SYNs and is banned.
in_ns "$C" ping -q -c 600 -i 0.05 10.77.0.1 >/dev/null 2>&1 &
PING=$!
T_PIDS+=("$PING")
check "C's IPv6 pings pass" in_ns "$C" ping -q -c 3 -i 0.2 -W 2 fd77::1
check "allow fd77::10 (C's IPv6)" xg "$V" allow fd77::10
check "ban it too (the allowlist wins)" xg "$V" ban fd77::10
in_ns "$X" timeout 3 hping3 -q -S -p 22 -i u2000 10.77.0.1 >/dev/null 2>&1
wait_for 5 grep -q '"event":"ban".*"src":"10.77.0.66"' "$T_DIR/daemon.log"
ok $? "the SYN flood from X is banned"

tmux -S "$SOCK" new-session -d -s xgtop -x 150 -y 45 \
	"XDPGUARD_PIN_DIR=$XDPGUARD_PIN_DIR TERM=xterm nsenter --net=/run/netns/$V $XDPGUARD top; echo TOP-EXIT=\$?; sleep 30"
wait_for 6 pane_has "^Total "
ok $? "top draws totals"
pane >"$T_DIR/screen1"
sed "s/^/#   /" "$T_DIR/screen1" | grep -v "^#   $"
check "the header names the sort" grep -q "sort: PPS" "$T_DIR/screen1"
check "the alarm is listed (syn_flood from X, banned)" \
	grep -qE "syn_flood +ban +src 10.77.0.66" "$T_DIR/screen1"
check "X shows banned with time left" \
	grep -qE "^10.77.0.66 .* banned syn_flood [0-9]+m[0-9]+s" "$T_DIR/screen1"
check "C shows passing, with its ping rate" \
	grep -qE "^10.77.0.10 +([1-9][0-9]*(\.[0-9]+)?) .* passing" "$T_DIR/screen1"
check "C's allowlisted (and banned) IPv6 address shows allowed" \
	grep -qE "^fd77::10 .* allowed" "$T_DIR/screen1"
check "per-CPU softirq shown" grep -qE "cpu0 si +[0-9]+%" "$T_DIR/screen1"
tmux -S "$SOCK" send-keys -t xgtop s
wait_for 3 pane_has "sort: SYN/S"
ok $? "key s sorts by SYN/s"
tmux -S "$SOCK" send-keys -t xgtop d
wait_for 3 pane_has "sort: PORTS"
ok $? "key d sorts by distinct ports"
tmux -S "$SOCK" send-keys -t xgtop q
wait_for 3 pane_has "TOP-EXIT=0"
ok $? "q quits with status 0"
tmux -S "$SOCK" kill-server 2>/dev/null
kill "$PING" 2>/dev/null

# No terminal: the stats stream.
out=$(xg "$V" top --count 2 --interval 0.3 </dev/null)
ok $([ "$(echo "$out" | grep -c 'sources tracked')" -eq 2 ]; echo $?) \
	"top into a pipe prints the text stream (2 reports)"
out=$(xg "$V" top --json --count 2 --interval 0.3)
n=$(echo "$out" | python3 -c "
import json,sys
objs=[json.loads(l) for l in sys.stdin]
print(sum(1 for o in objs if {'ts','pps','drop','top','alarms'} <= set(o)))")
ok $([ "$n" = 2 ]; echo $?) "top --json prints one stats object per interval ($n)"
out=$(xg "$V" top --sort bogus 2>&1)
ok $([ $? -eq 2 ] && echo "$out" | grep -q "invalid --sort 'bogus'"; echo $?) \
	"a bad --sort is one clear error"
out=$(TERM=no-such-term xg "$V" top --count 1 2>&1 </dev/null)
ok $? "top without a terminal needs no TERM"
finish
