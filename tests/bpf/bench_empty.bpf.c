// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The floor of `make bench`: XDP programs that do nothing but return. Every
 * per-packet cost is printed as a ratio to xdp_pass, and every live drop rate
 * as a share of xdp_drop's.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
