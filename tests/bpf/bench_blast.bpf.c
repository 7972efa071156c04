// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The traffic generator of `make bench`: run by BPF_PROG_TEST_RUN in live
 * frames mode (BPF_F_TEST_XDP_LIVE_FRAMES), it sends its one template frame
 * (Ethernet + IPv4 + TCP SYN, no VLAN) again and again out of a veth with
 * XDP_REDIRECT, never touching an skb. xdp-trafficgen (xdp-tools) works the
 * same way but cannot vary the source address, which the flood needs: per
 * frame this one can give the frame a new source (all 2^src_bits sources of
 * flood_src's prefix in turn, in a scrambled order), and every
 * attack_every-th frame instead comes from one of two fixed attackers: a SYN
 * flooder (attack_src, port 80) and a port scanner (attack_src + 1, ports
 * 1..1024), hidden in the flood.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 ifindex;
const volatile __u32 src_bits; /* 0: the template's source, unchanged */
const volatile __u32 flood_src; /* host order; its low src_bits are ours */
const volatile __u32 attack_every; /* 0: no attackers */
const volatile __u32 attack_src; /* host order */

__u64 seq;

SEC("xdp")
int xdp_blast(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *iph = data + sizeof(struct ethhdr);
	struct tcphdr *tcp = (void *)(iph + 1);
	__u64 n = seq++;

	if ((void *)(tcp + 1) > data_end)
		return XDP_ABORTED;
	if (attack_every && n % attack_every == 0) {
		n /= attack_every;
		iph->saddr = bpf_htonl(attack_src + (n & 1));
		tcp->dest = bpf_htons(n & 1 ? 1 + (n >> 1) % 1024 : 80);
	} else if (src_bits) {
		__u32 mask = (1U << src_bits) - 1;

		/* A bijection on the low bits: every source once per cycle. */
		iph->saddr = bpf_htonl((flood_src & ~mask) |
				       ((__u32)n * 0x9e3779b1u & mask));
		tcp->dest = bpf_htons(80);
	}
	return bpf_redirect(ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
