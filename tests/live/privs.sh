#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Least privilege. The listing verbs (status, stats, bans, allows) work for
# an unprivileged user (nobody, no capabilities) given read access to the
# pins; writers need write access; `run` names the capabilities it lacks;
# and CAP_BPF + CAP_NET_ADMIN + CAP_PERFMON are enough to run the daemon.
# The pins live on a bpffs instance of the test's own, so that no
# permission of the host's /sys/fs/bpf is touched.
. "$(dirname "$0")/lib.sh"
need_root
need_tools nsenter ip python3 setpriv capsh
ensure_bpffs

chmod 755 "$T_DIR"
mkdir "$T_DIR/bpffs"
mount -t bpf -o mode=0755 bpf "$T_DIR/bpffs" || skip_all "cannot mount a bpffs instance"
# Lock files are named after the pin dir's last component: make it unique.
export XDPGUARD_PIN_DIR=$T_DIR/bpffs/xg-$T_ID
LOCK=/run/xdpguard-xg-$T_ID.pid
trap 'umount -l "$T_DIR/bpffs"; rm -f "$LOCK" /run/xdpguard-xg2-$T_ID.pid; teardown' EXIT

A=xgpa$T_ID B=xgpb$T_ID
new_ns "$A"
new_ns "$B"
link_ns "$A" xg0 10.77.0.1/24 "$B" xg1 10.77.0.2/24
start_daemon "$A" xg0 --self-protect false
ok $? "daemon started (as root)"
xg "$A" ban 10.77.0.9 >/dev/null
xg "$A" allow 192.0.2.0/24 >/dev/null

# As nobody, without any capability, in A's network namespace.
nobody() {
	in_ns "$A" setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all -- "$XDPGUARD" "$@"
}
one_line() { # rc-want, pattern, command... : one stderr line, exit status
	local want=$1 pat=$2 rc
	shift 2
	"$@" >"$T_DIR/out" 2>"$T_DIR/err"
	rc=$?
	[ "$rc" -eq "$want" ] && [ "$(wc -l <"$T_DIR/err")" -eq 1 ] &&
		grep -qE "^xdpguard: .*$pat" "$T_DIR/err"
}
msg() { head -c 220 "$T_DIR/err"; }

one_line 1 "bans for reading: permission denied" nobody bans
ok $? "pins of mode 0600: nobody is told it lacks read access ($(msg))"

chmod 755 "$XDPGUARD_PIN_DIR"
chmod 644 "$XDPGUARD_PIN_DIR"/*
chmod 644 "$LOCK"
n=$(nobody bans --json | python3 -c 'import json,sys; print(len([b for b in json.load(sys.stdin) if b["addr"]=="10.77.0.9"]))')
ok $([ "$n" = 1 ]; echo $?) "nobody with read access lists the bans"
a=$(nobody allows --json | python3 -c 'import json,sys; print(json.load(sys.stdin))')
ok $([ "$a" = "['192.0.2.0/24']" ]; echo $?) "nobody lists the allowlist ($a)"
s=$(nobody status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); i=d["interfaces"][0]; print(i["name"], i["mode"], d["daemon_pid"] is not None, d["maps"]["bans"]["entries"])')
ok $([ "$s" = "xg0 native True 1" ]; echo $?) "nobody reads status: interface, mode, daemon, fill ($s)"
t=$(nobody stats --json --interval 0.1 | python3 -c 'import json,sys; print("total_pkts" in json.load(sys.stdin))')
ok $([ "$t" = True ]; echo $?) "nobody reads stats"

one_line 1 "bans for writing: permission denied" nobody ban 10.77.0.5
ok $? "nobody cannot ban: told it lacks write access ($(msg))"
one_line 1 "permission denied \(detach needs write access" nobody detach -i xg0
ok $? "nobody cannot detach ($(msg))"
one_line 1 "run: missing CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON" nobody run -i xg0
ok $? "nobody cannot run: the missing capabilities are named ($(msg))"
check "nothing changed: the ban is still there" sh -c "'$XDPGUARD' bans | grep -q 10.77.0.9"
check "nothing changed: still attached" has_xdp "$A" xg0
check "nothing changed: 10.77.0.5 not banned" sh -c "! '$XDPGUARD' bans | grep -q 10.77.0.5"

# Root, but with capabilities dropped: run names exactly what is missing.
export XDPGUARD_PIN_DIR=$T_DIR/bpffs/xg2-$T_ID
drop_run() { # caps to drop
	in_ns "$B" capsh --drop="$1" -- -c "exec '$XDPGUARD' run -i xg1"
}
one_line 1 "run: missing CAP_NET_ADMIN \(" drop_run cap_net_admin,cap_sys_admin
ok $? "root without CAP_NET_ADMIN: $(msg)"
one_line 1 "run: missing CAP_PERFMON \(" drop_run cap_perfmon,cap_sys_admin
ok $? "root without CAP_PERFMON: $(msg)"
one_line 1 "run: missing CAP_BPF \(" drop_run cap_bpf,cap_sys_admin
ok $? "root without CAP_BPF: $(msg)"
check "a refused run left no pins" test ! -e "$XDPGUARD_PIN_DIR"

# Exactly CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON are enough.
in_ns "$B" setpriv --bounding-set=-all,+bpf,+net_admin,+perfmon \
	--inh-caps=-all -- timeout -s INT 3 "$XDPGUARD" run -i xg1 --json \
	>"$T_DIR/min.log" 2>&1
rc=$?
grep -q '"event":"start"' "$T_DIR/min.log"
ok $? "run works with only CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON (rc=$rc)"
rm -rf "$XDPGUARD_PIN_DIR"

finish
