#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Offenders by prefix: an IPv6 flooder is banned for its whole /64 (it
# could send from any address in it); a flood spread over four addresses
# of one /64, each under the threshold, is caught by the sum of the /64;
# an offender on the guarded interface's own network is banned alone, so
# its neighbours pass; --v6-prefix 128 bans addresses only; --widen-after
# bans a covering prefix once that many bans fall inside it.
. "$(dirname "$0")/lib.sh"
need_root
need_tools ping nsenter ip python3
ensure_bpffs

make_lan
# Remote networks behind the attacker, routed by the victim.
for a in fd78:0:0:1::a fd78:0:0:1::b fd78:0:0:2::c1 fd78:0:0:2::c2 \
	fd78:0:0:2::c3 fd78:0:0:2::c4 fd78:0:0:3::a fd79:0:0:1::a \
	fd79:0:0:2::a; do
	ip -n "$X" addr add "$a"/128 dev eth0 nodad
done
ip -n "$X" addr add 10.88.0.1/32 dev eth0
ip -n "$X" addr add 10.88.0.2/32 dev eth0
ip -n "$V" -6 route add fd78::/16 via fd77::66
ip -n "$V" -6 route add fd79::/16 via fd77::66
ip -n "$V" route add 10.88.0.0/24 via 10.77.0.66

# ping from the attacker with a given source: count, interval, src, dst
ping_src() { in_ns "$X" ping -q -c "$1" -i "$2" -W 1 -I "$3" "$4" >/dev/null 2>&1; }
flood() { ping_src 300 0.005 "$1" "$2" & T_PIDS+=($!); }
banned() { # address or prefix as `bans --json` prints it
	xg "$V" bans --json | jq_py "'$1' in [b['addr'] for b in d]" | grep -q True
}
DET=(--icmp-rate 50 --icmp-window 1s --conn-poll-ms 0 --state-file none)

start_daemon "$V" eth0 "${DET[@]}"
ok $? "run (icmp_rate 50/s)"
check "fd78:0:0:1::b passes before" ping_src 3 0.2 fd78:0:0:1::b fd77::1

flood fd78:0:0:1::a fd77::1
wait_for 10 banned fd78:0:0:1::/64
ok $? "an IPv6 ICMP flooder is banned for its /64"
check "... not as a single address" eval "! banned fd78:0:0:1::a"
check "the daemon says why" grep -q '"event":"ban_prefix".*IPv6 offender fd78:0:0:1::a' "$T_DIR/daemon.log"
check "another address of that /64 is blocked" eval "! ping_src 3 0.2 fd78:0:0:1::b fd77::1"
check "an address of the next /64 passes" ping_src 3 0.2 fd78:0:0:2::c1 fd77::1

# Four addresses of fd78:0:0:2::/64, each 30 echo requests/s: each under
# 50/s, together 120/s.
for a in c1 c2 c3 c4; do
	ping_src 120 0.033 fd78:0:0:2::$a fd77::1 &
	T_PIDS+=($!)
done
wait_for 10 banned fd78:0:0:2::/64
ok $? "a flood spread over four addresses of a /64 is banned by their sum"
check "the ban says it was the sum" grep -q 'by the sum of its addresses' "$T_DIR/daemon.log"
check "no address of it tripped alone" eval "! grep -q '\"event\":\"alert\".*\"src\":\"fd78:0:0:2::c' '$T_DIR/daemon.log'"

flood fd77::66 fd77::1
wait_for 10 banned fd77::66
ok $? "a flooder on the guarded LAN's own /64 is banned as an address"
check "... not its whole /64 (fd77::/64 is the LAN's)" eval "! banned fd77::/64"
check "its LAN neighbour passes over IPv6" \
	in_ns "$C" ping -q -c 3 -i 0.2 -W 1 fd77::1
stop_daemon

start_daemon "$V" eth0 "${DET[@]}" --v6-prefix 128
ok $? "run with --v6-prefix 128"
flood fd78:0:0:3::a fd77::1
wait_for 10 banned fd78:0:0:3::a
ok $? "with v6_prefix 128 the flooder is banned as an address"
check "... and nothing wider" eval "! banned fd78:0:0:3::/64"
stop_daemon

start_daemon "$V" eth0 "${DET[@]}" --widen-after 2 --widen-v6 48
ok $? "run with --widen-after 2"
flood fd79:0:0:1::a fd77::1
wait_for 10 banned fd79:0:0:1::/64
ok $? "first /64 of fd79::/48 banned"
check "fd79::/48 not yet" eval "! banned fd79::/48"
flood fd79:0:0:2::a fd77::1
wait_for 10 banned fd79::/48
ok $? "a second /64 inside it bans fd79::/48"
flood 10.88.0.1 10.77.0.1
wait_for 10 banned 10.88.0.1
ok $? "IPv4 flooder 10.88.0.1 banned"
flood 10.88.0.2 10.77.0.1
wait_for 10 banned 10.88.0.0/24
ok $? "a second ban in 10.88.0.0/24 bans the /24"
check "the LAN's own /24 is never widened" eval "! banned 10.77.0.0/24"
stop_daemon

finish
