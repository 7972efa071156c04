#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Self-protection: the daemon allowlists its own addresses, its default
# gateways and the SSH peer that started it, so an attacker forging those
# source addresses in a port scan gets nobody banned; a forged address that
# is not protected is banned (the control), and --no-self-protect removes
# the daemon's entries (but not the operator's) and lets the ban happen.
. "$(dirname "$0")/lib.sh"
need_root
need_tools nsenter ip hping3 python3
ensure_bpffs

make_lan
ip -n "$V" route add default via 10.77.0.10
ip -n "$V" -6 route add default via fd77::10 dev eth0
# The session that starts the daemon came from 10.77.0.20 over SSH.
export SSH_CONNECTION="10.77.0.20 50022 10.77.0.1 22"

allows() { xg "$V" allows --json | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)))'; }
banned() { xg "$V" bans --json | python3 -c "import json,sys; sys.exit(0 if any(b['addr']=='$1' for b in json.load(sys.stdin)) else 1)"; }
# A SYN scan of 60 ports from X with a forged source address.
scan_as() { in_ns "$X" timeout 20 hping3 -q -S -a "$1" -p ++2000 -c 60 -i u3000 10.77.0.1 >/dev/null 2>&1; }

start_daemon "$V" eth0 --mode native
ok $? "daemon started with SSH_CONNECTION set"
grep -q '"event":"self_protect"' "$T_DIR/daemon.log"
ok $? "the daemon reports what it protects"
a=$(allows)
for p in 10.77.0.1/32 fd77::1/128 10.77.0.10/32 fd77::10/128 10.77.0.20/32; do
	case " $a " in *" $p "*) r=0 ;; *) r=1 ;; esac
	ok $r "allowlisted automatically: $p"
done
# Loopback never arrives on a NIC but forged: not protected.
for p in 127.0.0.1/32 ::1/128; do
	case " $a " in *" $p "*) r=1 ;; *) r=0 ;; esac
	ok $r "loopback $p is not allowlisted"
done
xg "$V" allows | grep -q '^10.77.0.10/32.*self-protection'
ok $? "allows marks the daemon's entries"

scan_as 10.77.0.30
wait_for 5 banned 10.77.0.30
ok $? "control: a scan forged from 10.77.0.30 (not protected) is banned"
for who in "10.77.0.10 gateway" "10.77.0.20 SSH peer" "10.77.0.1 own address"; do
	set -- $who
	scan_as "$1"
	sleep 1.5
	! banned "$1"
	ok $? "a scan forged from the ${who#* } $1 bans nobody"
done
in_ns "$C" ping -q -c 2 -i 0.2 -W 1 10.77.0.1 >/dev/null
ok $? "the gateway still reaches the host"

# The operator's own entry for one of those addresses stays theirs.
xg "$V" allow fd77::10 >/dev/null
xg "$V" allow 192.0.2.0/24 >/dev/null
stop_daemon
start_daemon "$V" eth0 --mode native --no-self-protect
ok $? "daemon restarted with --no-self-protect"
a=$(allows)
ok $([ "$(echo "$a" | tr ' ' '\n' | sort | tr '\n' ' ')" = "192.0.2.0/24 fd77::10/128 " ]; echo $?) \
	"--no-self-protect removed the daemon's entries, kept the operator's (got: $a)"
scan_as 10.77.0.10
wait_for 5 banned 10.77.0.10
ok $? "without self-protection the forged gateway address is banned"
stop_daemon

# A setting in the config file does the same.
printf '[run]\nself_protect = false\n' >"$T_DIR/xg.ini"
start_daemon "$V" eth0 --config "$T_DIR/xg.ini"
a=$(allows)
ok $([ "$(echo "$a" | wc -w)" -eq 2 ]; echo $?) "self_protect = false in the config file (allows: $a)"
stop_daemon
start_daemon "$V" eth0
case " $(allows) " in *" 10.77.0.10/32 "*) r=0 ;; *) r=1 ;; esac
ok $r "the next run with self-protection adds them again"

finish
