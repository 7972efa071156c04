// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * For `make bench`: BPF_PROG_TEST_RUN repeats one frame, so on its own it can
 * only time a source the program has already seen. This program gives every
 * run a fresh IPv4 source (the frame must be Ethernet + IPv4, no VLAN)
 * and tail-calls the program under test in slot 0. Timing it once in front of
 * the empty program and once in front of xdpguard, the difference is what
 * xdpguard costs for a new source. The range (base | seq & mask) is the
 * loader's to set: by default 10.128.0.0/9, or a set of banned addresses
 * larger than the verdict cache, so every drop misses it.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} next SEC(".maps");

__u32 seq;
volatile __u32 base = 0x0a800000, mask = 0x007fffff;

SEC("xdp")
int xdp_rotate(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *iph = data + sizeof(struct ethhdr);

	if ((void *)(iph + 1) > data_end)
		return XDP_ABORTED;
	/*
	 * Sources in 10.128.0.0/9, one after the other: 8 Mi runs before one
	 * repeats, and the bench never bans, allows or pre-fills that range.
	 */
	iph->saddr = bpf_htonl(base | (seq++ & mask));
	bpf_tail_call(ctx, &next, 0);
	return XDP_ABORTED;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
