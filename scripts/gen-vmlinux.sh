#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Regenerates vmlinux.h from the running kernel's BTF. The result is
# committed, so a build never needs BTF; run this only to pick up new kernel
# types (CO-RE relocations keep the program working on other kernels).
set -euo pipefail
cd "$(dirname "$0")/.."
btf=${1:-/sys/kernel/btf/vmlinux}
[ -r "$btf" ] || { echo "gen-vmlinux: $btf not readable: kernel built without BTF?" >&2; exit 1; }
bpftool btf dump file "$btf" format c > vmlinux.h.tmp
mv vmlinux.h.tmp vmlinux.h
echo "vmlinux.h regenerated from $btf"
