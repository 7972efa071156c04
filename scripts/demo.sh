#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The demo: builds a small LAN in network namespaces (victim, attacker,
# benign client), attaches xdpguard to the victim's interface, and shows
# traffic being counted, attacks being caught and banned, and the benign
# client still served. Everything it creates is removed on exit.
set -u
cd "$(dirname "$0")/.."
T_ID=demo
. tests/live/lib.sh
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it creates network namespaces and attaches XDP)"; exit 1; }
ensure_bpffs

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show_events() { sed -n "${1:-1},\$p" "$T_DIR/daemon.log" | grep -v '"event":"start"' | sed 's/^/   /'; }

make_lan
say "LAN: victim 10.77.0.1, attacker 10.77.0.66, client 10.77.0.10 (namespaces $V $X $C)"
in_ns "$V" python3 -m http.server 8080 --bind 10.77.0.1 >/dev/null 2>&1 &
T_PIDS+=($!)
wait_for 5 in_ns "$C" curl -sf -o /dev/null http://10.77.0.1:8080/

say "xdpguard run -i eth0 (in the victim's namespace)"
start_daemon "$V" eth0 || exit 1
head -1 "$T_DIR/daemon.log" | sed 's/^/   /'
"$XDPGUARD" status | sed 's/^/   /'

say "client browses, attacker pings: both counted"
for i in 1 2 3 4 5; do in_ns "$C" curl -sf -o /dev/null http://10.77.0.1:8080/; done
in_ns "$X" ping -q -c 5 -i 0.2 10.77.0.1 | tail -2 | sed 's/^/   /'
xg "$V" stats --interval 0.5 --top 3 | sed 's/^/   /'

say "operator bans the attacker: xdpguard ban 10.77.0.66 --ttl 10m"
xg "$V" ban 10.77.0.66 --ttl 10m | sed 's/^/   /'
in_ns "$X" ping -q -c 5 -i 0.2 -W 1 10.77.0.1 | tail -2 | sed 's/^/   /'
echo "   client still served: $(in_ns "$C" curl -s -o /dev/null -w 'HTTP %{http_code}' http://10.77.0.1:8080/)"
xg "$V" bans | sed 's/^/   /'
xg "$V" stats --interval 0.5 --top 0 | sed 's/^/   /'

say "SIGTERM: the daemon detaches"
stop_daemon
tail -1 "$T_DIR/daemon.log" | sed 's/^/   /'
has_xdp "$V" eth0 && echo "   program still attached?!" || echo "   eth0 has no XDP program; namespaces removed on exit"
