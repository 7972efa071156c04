#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Installs, idempotently, every Debian package xdpguard needs to build, test,
# benchmark and run its demo. Packages already present are left alone, so a
# second run costs one dpkg query and touches the network not at all.
set -euo pipefail

PKGS=(
	# build
	make gcc clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool pkg-config
	libinih-dev libjson-c-dev libmnl-dev libcap-dev uthash-dev libncurses-dev
	libmicrohttpd-dev libpcap-dev
	# tests
	libcmocka-dev iproute2 iputils-ping nmap hping3 tcpreplay iperf3
	tcpdump ethtool netcat-openbsd procps curl python3 util-linux tmux
	libcap2-bin
	# Not installed here: prometheus (for promtool), because the package
	# also enables a Prometheus server. The metrics tests use promtool
	# when present and a strict parser of their own always.
	# bench: xdp-filter's program as the reference to beat
	xdp-tools
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
