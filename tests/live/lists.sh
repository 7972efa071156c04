#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Prefix bans and blocklists end to end on a veth LAN: IPv4 and IPv6 prefix
# bans drop what they cover and nothing else, the allowlist still wins,
# unban explains what still bans an address; import loads a list, refuses
# a file with a bad line (naming file and line) and changes nothing, a
# re-import replaces the list with no moment in which the attacker passes,
# --remove drops it; run --blocklist loads at start and again on SIGHUP;
# a trie too small refuses an import whole and says so in status.
. "$(dirname "$0")/lib.sh"
need_root
need_tools ping nsenter ip python3
ensure_bpffs

make_lan
ping_from() { # ns, dst, [count]
	in_ns "$1" ping -q -c "${3:-3}" -i 0.2 -W 1 "$2" >/dev/null 2>&1
}
passes() { ping_from "$1" "$2"; }
blocked() { ! ping_from "$1" "$2"; }
# Replies a ping from ns got out of n sent 10 ms apart.
received() { # ns, dst, n
	in_ns "$1" ping -q -c "$3" -i 0.01 -W 1 "$2" 2>/dev/null |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}

start_daemon "$V" eth0
ok $? "run attaches"

# ---- prefix bans ----
check "ban 10.77.0.64/26 (covers the attacker .66, not the client .10)" \
	xg "$V" ban 10.77.0.64/26 --ttl 1h
check "attacker blocked by the /26" blocked "$X" 10.77.0.1
check "client passes" passes "$C" 10.77.0.1
n=$(xg "$V" bans --json | jq_py "len([b for b in d if b['addr']=='10.77.0.64/26' and b['reason']=='manual' and 3590 < b['expires_in'] <= 3600])")
ok $([ "$n" = 1 ]; echo $?) "bans --json lists the /26 with its expiry"
msg=$(xg "$V" unban 10.77.0.66 2>&1)
rc=$?
ok $([ $rc -eq 1 ] && echo "$msg" | grep -q "lies in banned prefix 10.77.0.64/26"; echo $?) \
	"unban of a covered address says which prefix bans it (rc=$rc: $msg)"
check "unban 10.77.0.64/26" xg "$V" unban 10.77.0.64/26
check "attacker passes once unbanned" wait_for 5 passes "$X" 10.77.0.1

check "ban fd77::40/122 (covers fd77::66, not fd77::10)" xg "$V" ban fd77::40/122
check "attacker blocked over IPv6" blocked "$X" fd77::1
check "client passes over IPv6" passes "$C" fd77::1
check "attacker still passes over IPv4" passes "$X" 10.77.0.1
check "unban fd77::40/122" xg "$V" unban fd77::40/122
# Neighbour discovery was dropped too while banned: give it time to recover.
check "attacker passes over IPv6 again" wait_for 5 passes "$X" fd77::1

msg=$(xg "$V" ban ::/0 2>&1)
ok $([ $? -eq 2 ] && echo "$msg" | grep -q "covers all of IPv4"; echo $?) \
	"ban ::/0 refused: it would cover IPv4 too ($msg)"

check "ban the whole LAN 10.77.0.0/24" xg "$V" ban 10.77.0.0/24
check "allow the client 10.77.0.10" xg "$V" allow 10.77.0.10
check "allowlisted client passes the /24 ban" passes "$C" 10.77.0.1
check "attacker blocked by the /24" blocked "$X" 10.77.0.1
check "unallow the client" xg "$V" unallow 10.77.0.10
check "unban the /24" xg "$V" unban 10.77.0.0/24
check "attacker passes" wait_for 5 passes "$X" 10.77.0.1

# ---- import ----
L=$T_DIR/drop.txt
cat >"$L" <<EOF
; Spamhaus DROP style
192.0.2.0/24 ; SBL1
10.77.0.66 ; SBL2
# FireHOL style comment
fd77::66
198.51.100.0/24
EOF
out=$(xg "$V" import "$L" --reason "test list" 2>&1)
ok $? "import a list ($out)"
check "attacker blocked by the list (IPv4)" blocked "$X" 10.77.0.1
check "attacker blocked by the list (IPv6)" blocked "$X" fd77::1
check "client passes" passes "$C" 10.77.0.1
check "bans shows the list" sh -c "'$XDPGUARD' bans | grep -q '^drop.txt .* 4 never'"
check "status shows the list" sh -c "'$XDPGUARD' status | grep -q 'blocklist: drop.txt .* 4 prefixes'"
n=$(xg "$V" bans --all --json | jq_py "len([b for b in d if b.get('lists')==['drop.txt']])")
ok $([ "$n" = 4 ]; echo $?) "bans --all lists the 4 imported prefixes (got $n)"
msg=$(xg "$V" unban 10.77.0.66 2>&1)
ok $([ $? -eq 1 ] && echo "$msg" | grep -q "drop.txt"; echo $?) \
	"unban of a listed address names the list ($msg)"

B=$T_DIR/broken.txt
printf '10.77.0.10\n# fine\n10.77.0.300\n203.0.113.0/24 extra\n' >"$B"
msg=$(xg "$V" import "$B" 2>&1)
rc=$?
ok $([ $rc -eq 1 ]; echo $?) "a file with bad lines is refused (rc=$rc)"
ok $(echo "$msg" | grep -q "broken.txt:3: '10.77.0.300'" &&
	echo "$msg" | grep -q "broken.txt:4: unexpected 'extra'" &&
	echo "$msg" | grep -q "2 bad lines; nothing loaded"; echo $?) \
	"each bad line is named with file:line ($(echo "$msg" | tr '\n' '|'))"
check "nothing of it was loaded: client passes" passes "$C" 10.77.0.1
check "... and no list named broken.txt exists" \
	sh -c "! '$XDPGUARD' bans | grep -q broken.txt"
check "--skip-bad loads the good lines" xg "$V" import "$B" --skip-bad
check "client blocked by the list loaded with --skip-bad" blocked "$C" 10.77.0.1
check "import --remove broken.txt" xg "$V" import --remove broken.txt
check "client passes once the list is removed" wait_for 5 passes "$C" 10.77.0.1

# Atomic replacement: two versions of the list, both listing the attacker
# among 10000 others that differ; flipped while the attacker pings every
# 2 ms. (A delete-then-insert replacement leaks replies here.)
python3 - "$T_DIR" <<'EOF'
import sys
d = sys.argv[1]
for name, base in (("a", 20), ("b", 60)):
    with open(f"{d}/flip-{name}.netset", "w") as f:
        f.write("10.77.0.66\n")
        for i in range(10000):
            f.write(f"{base + i // 250}.{i % 250}.0.0/16\n")
EOF
cp "$T_DIR/flip-a.netset" "$T_DIR/flip.netset"
check "import flip.netset (version a)" xg "$V" import "$T_DIR/flip.netset"
in_ns "$X" ping -q -c 1500 -i 0.002 -W 1 10.77.0.1 >"$T_DIR/flip-ping.txt" 2>&1 &
pp=$!
T_PIDS+=("$pp")
flips=0
for i in $(seq 1 20); do
	v=$([ $((i % 2)) -eq 1 ] && echo b || echo a)
	cp "$T_DIR/flip-$v.netset" "$T_DIR/flip.netset"
	xg "$V" import "$T_DIR/flip.netset" >/dev/null && flips=$((flips + 1))
done
wait "$pp"
got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$T_DIR/flip-ping.txt")
ok $([ "$flips" = 20 ] && [ "${got:-x}" = 0 ]; echo $?) \
	"20 re-imports during 1500 pings: the attacker got ${got:-?} replies (want 0)"
n=$(xg "$V" bans --all --json | jq_py "len(d)")
ok $([ "$n" = 10004 ]; echo $?) "the trie holds version a's 10001 prefixes + drop.txt's 3 others (got $n)"
grep -v '^10.77.0.66' "$T_DIR/flip-a.netset" >"$T_DIR/flip.netset"
check "re-import without the attacker" xg "$V" import "$T_DIR/flip.netset"
check "attacker still blocked by drop.txt" blocked "$X" 10.77.0.1
check "import --remove drop.txt" xg "$V" import --remove drop.txt
check "attacker passes once neither list has it" wait_for 5 passes "$X" 10.77.0.1
msg=$(xg "$V" import --remove nosuch.txt 2>&1)
ok $([ $? -eq 1 ] && echo "$msg" | grep -q "no blocklist named 'nosuch.txt'"; echo $?) \
	"removing an unknown list fails with a message ($msg)"
stop_daemon

# ---- run --blocklist, SIGHUP ----
printf '10.77.0.66\n' >"$T_DIR/boot.txt"
start_daemon "$V" eth0 --blocklist "$T_DIR/boot.txt"
ok $? "run --blocklist boot.txt"
check "the start event names the list" \
	sh -c "grep '\"event\":\"blocklist\"' '$T_DIR/daemon.log' | grep -q '\"name\":\"boot.txt\"'"
check "attacker blocked from the start" blocked "$X" 10.77.0.1
printf '# emptied but one other\n192.0.2.1\n' >"$T_DIR/boot.txt"
kill -HUP "$DAEMON_PID"
wait_for 5 passes "$X" 10.77.0.1
ok $? "after SIGHUP the edited list no longer blocks the attacker"
printf '10.77.0.999\n' >"$T_DIR/boot.txt"
kill -HUP "$DAEMON_PID"
wait_for 5 grep -q 'reloading the blocklists failed' "$T_DIR/daemon.log"
ok $? "a SIGHUP with a broken file is reported"
check "... and the daemon keeps running" kill -0 "$DAEMON_PID"
stop_daemon
msg=$(in_ns "$V" timeout 10 "$XDPGUARD" run -i eth0 --blocklist "$T_DIR/boot.txt" 2>&1)
rc=$?
ok $([ $rc -eq 1 ] && echo "$msg" | grep -q "boot.txt:1:"; echo $?) \
	"run refuses to start with a broken blocklist (rc=$rc: $msg)"
check "... and attached nothing" eval "! has_xdp $V eth0"

# ---- capacity ----
"$XDPGUARD" detach -i eth0 >/dev/null 2>&1
rm -rf "$XDPGUARD_PIN_DIR"
start_daemon "$V" eth0 --prefix-bans-max 16 --state-file none
ok $? "run with a 16-entry prefix trie"
python3 -c "
for i in range(20): print(f'203.0.{i}.0/24')" >"$T_DIR/big.txt"
msg=$(xg "$V" import "$T_DIR/big.txt" 2>&1)
rc=$?
ok $([ $rc -eq 1 ] && echo "$msg" | grep -q "over its capacity of 16"; echo $?) \
	"an import over capacity is refused whole (rc=$rc: $msg)"
st=$(xg "$V" status --json)
ok $(echo "$st" | jq_py "d['maps']['ban_prefixes']['entries'] == 0 and d['maps']['ban_prefixes']['refused'] >= 1 and d['maps']['ban_prefixes']['max_entries'] == 16" | grep -q True; echo $?) \
	"status: nothing loaded, the refusal counted"
python3 -c "
for i in range(16): print(f'203.0.{i}.0/24')" >"$T_DIR/big.txt"
check "16 prefixes fit" xg "$V" import "$T_DIR/big.txt"
check "status says FULL" sh -c "'$XDPGUARD' status | grep -q 'ban_prefixes .*16 / 16 .*FULL'"
msg=$(xg "$V" ban 10.77.0.64/26 2>&1)
ok $([ $? -eq 1 ] && echo "$msg" | grep -q "ban_prefixes is full"; echo $?) \
	"a prefix ban into a full trie fails with a message ($msg)"
stop_daemon

finish
