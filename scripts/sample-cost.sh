#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Measures what drop sampling costs on the drop path: the XDP program runs
# a frame from a banned source through BPF_PROG_TEST_RUN (bpftool prog run,
# 10 M repeats, 5 rounds) with --sample-rate 0 and 10. Past its budget of
# 10 per second, sampling is one per-CPU lookup and a compare; that is what
# a flood sees. Runs in a namespace of its own, attaches to nothing else.
set -eu
cd "$(dirname "$0")/.."
XG=$PWD/.output/xdpguard
NS=xgcost$$
export XDPGUARD_PIN_DIR=/sys/fs/bpf/xg-cost-$$
T=$(mktemp -d)
cleanup() {
	[ -n "${PID:-}" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$T" "$XDPGUARD_PIN_DIR" /run/xdpguard-xg-cost-$$.*
}
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link add xca type veth peer name xcb
ip -n "$NS" link set xca up
ip -n "$NS" link set xcb up
# Ethernet + IPv4 10.77.9.9 > 10.77.0.1 + TCP SYN to port 80.
python3 -c "
import struct,sys
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 40, 0, 0x4000, 64, 6, 0,
                 bytes([10,77,9,9]), bytes([10,77,0,1]))
tcp = struct.pack('!HHIIBBHHH', 4444, 80, 1, 0, 0x50, 0x02, 65535, 0, 0)
sys.stdout.buffer.write(b'\x02'*6 + b'\x04'*6 + b'\x08\x00' + ip + tcp)" >"$T/frame"
for rate in 0 10; do
	nsenter --net=/run/netns/"$NS" "$XG" run -i xca --mode generic --sample-rate $rate >"$T/log" 2>&1 &
	PID=$!
	for i in $(seq 50); do grep -q attached "$T/log" && break; sleep 0.1; done
	nsenter --net=/run/netns/"$NS" "$XG" ban 10.77.9.9 >/dev/null
	id=$(nsenter --net=/run/netns/"$NS" "$XG" status --json | python3 -c "import json,sys; print(json.load(sys.stdin)['interfaces'][0]['prog_id'])")
	ns=()
	for r in 1 2 3 4 5; do
		ns+=($(bpftool prog run id "$id" data_in "$T/frame" repeat 10000000 2>&1 |
			sed -n 's/.*duration (average): \([0-9]*\)ns.*/\1/p'))
	done
	echo "sample_rate=$rate: drop path ${ns[*]} ns per packet (5 rounds of 10M)"
	kill "$PID"
	wait "$PID" 2>/dev/null || true
	PID=
	nsenter --net=/run/netns/"$NS" "$XG" detach -i xca >/dev/null 2>&1 || true
done
