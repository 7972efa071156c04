#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Full tables. The bans hash and the allowlist trie never evict: once full,
# a new ban or allow entry is refused with one clear line and the existing
# ones stay in force; a detection that cannot be written is logged as an
# error and the daemon keeps running. Self-protection that cannot fit in the
# allowlist refuses to start rather than run unprotected.
. "$(dirname "$0")/lib.sh"
need_root
need_tools nsenter ip hping3 python3 ping
ensure_bpffs

A=xgua$T_ID B=xgub$T_ID
new_ns "$A"
new_ns "$B"
link_ns "$A" xg0 10.77.0.1/24 "$B" xg1 10.77.0.2/24
start_daemon "$A" xg0 --mode native --bans-max 16 --allow-max 16 \
	--self-protect false
ok $? "daemon started with 16-entry bans and allowlist"

for i in $(seq 1 16); do xg "$A" ban 10.77.3.$i >/dev/null || echo "ban $i failed"; done >"$T_DIR/fill"
ok $([ ! -s "$T_DIR/fill" ]; echo $?) "16 bans fit ($(head -c 100 "$T_DIR/fill"))"
xg "$A" ban 10.77.3.99 >"$T_DIR/out" 2>"$T_DIR/err"
rc=$?
ok $([ $rc -eq 1 ] && [ "$(wc -l <"$T_DIR/err")" -eq 1 ] &&
	grep -q "cannot ban 10.77.3.99: the bans map is full" "$T_DIR/err"; echo $?) \
	"the 17th ban is refused in one line: $(head -c 120 "$T_DIR/err")"
n=$(xg "$A" bans --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
ok $([ "$n" -eq 16 ]; echo $?) "the 16 bans are intact ($n)"

# The detector catches a scan but cannot write its ban: logged, not fatal.
in_ns "$B" timeout 20 hping3 -q -S -p ++4000 -c 60 -i u3000 10.77.0.1 >/dev/null 2>&1
wait_for 5 grep -q '"event":"error".*bans is full: cannot ban 10.77.0.2' "$T_DIR/daemon.log"
ok $? "a detection that finds the table full is logged as an error"
kill -0 "$DAEMON_PID"
ok $? "the daemon keeps running"
# An unban makes room, and the next detection lands.
xg "$A" unban 10.77.3.1 >/dev/null
in_ns "$B" timeout 20 hping3 -q -S -p ++5000 -c 60 -i u3000 10.77.0.1 >/dev/null 2>&1
wait_for 15 sh -c "'$XDPGUARD' bans | grep -q '^10.77.0.2 '"
ok $? "once there is room, the scanner is banned"

for i in $(seq 1 16); do xg "$A" allow 192.0.2.$i >/dev/null || echo "allow $i failed"; done >"$T_DIR/fill"
ok $([ ! -s "$T_DIR/fill" ]; echo $?) "16 allowlist entries fit"
xg "$A" allow 198.51.100.0/24 >"$T_DIR/out" 2>"$T_DIR/err"
rc=$?
ok $([ $rc -eq 1 ] && [ "$(wc -l <"$T_DIR/err")" -eq 1 ] &&
	grep -q "map is full" "$T_DIR/err"; echo $?) \
	"the 17th allow entry is refused in one line: $(head -c 120 "$T_DIR/err")"
stop_daemon

# Self-protection needs room in the allowlist (the maps are reused).
start_daemon "$A" xg0 --mode native --bans-max 16 --allow-max 16 >/dev/null
started=$?
grep -q 'self-protection: cannot allowlist .*map is full (raise --allow-max, or --self-protect false)' "$T_DIR/daemon.log"
found=$?
ok $([ $started -ne 0 ] && [ $found -eq 0 ]; echo $?) \
	"a daemon whose own addresses do not fit refuses to start: $(head -c 160 "$T_DIR/daemon.log")"
check "the refused start left no program attached" eval "! has_xdp $A xg0"
n=$(xg "$A" bans --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
ok $([ "$n" -eq 16 ]; echo $?) "the refused start kept the bans ($n)"

finish
