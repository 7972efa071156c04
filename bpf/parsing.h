/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Cursor-style header parsing: every helper checks that the whole header lies
 * before data_end before it reads a byte, then moves the cursor past it.
 * A helper returns the next protocol number, or -1 when the frame is too
 * short or malformed.
 */
#ifndef XDPGUARD_PARSING_H
#define XDPGUARD_PARSING_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8

#define IPPROTO_HOPOPTS 0
#define IPPROTO_ROUTING 43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_DSTOPTS 60
#define IPPROTO_ICMPV6 58

#define IP_MF 0x2000
#define IP_OFFSET 0x1FFF

/* Longest IPv6 extension-header chain we walk before giving up. */
#define XG_IPV6_EXT_MAX 6
#define XG_VLAN_MAX 2

struct cursor {
	void *pos;
	void *end;
};

struct xg_ipv6_opt {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct xg_ipv6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset << 3 | M */
	__be32 id;
};

/* Ethernet plus up to XG_VLAN_MAX 802.1Q/802.1ad tags; returns h_proto. */
static __always_inline int parse_eth(struct cursor *c)
{
	struct ethhdr *eth = c->pos;
	struct vlan_hdr *vh;
	__u16 proto;
	int i;

	if ((void *)(eth + 1) > c->end)
		return -1;
	c->pos = eth + 1;
	proto = eth->h_proto;

#pragma unroll
	for (i = 0; i < XG_VLAN_MAX; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) &&
		    proto != bpf_htons(ETH_P_8021AD))
			break;
		vh = c->pos;
		if ((void *)(vh + 1) > c->end)
			return -1;
		c->pos = vh + 1;
		proto = vh->h_vlan_encapsulated_proto;
	}
	return bpf_ntohs(proto);
}

/*
 * IPv4: any header length. Sets *l4 to 0 for a fragment after the first,
 * which carries no transport header.
 */
static __always_inline int parse_ipv4(struct cursor *c, struct iphdr **iphp,
				      int *l4)
{
	struct iphdr *iph = c->pos;
	int hlen;

	if ((void *)(iph + 1) > c->end)
		return -1;
	if (iph->version != 4)
		return -1;
	hlen = iph->ihl * 4;
	if (hlen < (int)sizeof(*iph))
		return -1;
	if (c->pos + hlen > c->end)
		return -1;
	c->pos += hlen;
	*iphp = iph;
	*l4 = !(iph->frag_off & bpf_htons(IP_OFFSET));
	return iph->protocol;
}

/*
 * IPv6 and its extension headers (hop-by-hop, routing, destination options,
 * fragment), at most XG_IPV6_EXT_MAX of them. Returns -1 only when the fixed
 * header is bad: once it is in bounds the source is known, so a chain that
 * is cut short or too long sets *l4 = -1 (malformed) and still returns 0,
 * leaving the ban decision possible. *l4 = 0 for a fragment after the first,
 * whose payload is not a header at all.
 */
static __always_inline int parse_ipv6(struct cursor *c, struct ipv6hdr **ip6p,
				      int *l4)
{
	struct ipv6hdr *ip6 = c->pos;
	struct xg_ipv6_opt *opt;
	struct xg_ipv6_frag *fh;
	__u8 nexthdr;
	int i;

	if ((void *)(ip6 + 1) > c->end)
		return -1;
	if (ip6->version != 6)
		return -1;
	c->pos = ip6 + 1;
	*ip6p = ip6;
	*l4 = 1;
	nexthdr = ip6->nexthdr;

#pragma unroll
	for (i = 0; i < XG_IPV6_EXT_MAX; i++) {
		switch (nexthdr) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			opt = c->pos;
			if ((void *)(opt + 1) > c->end)
				goto bad_chain;
			nexthdr = opt->nexthdr;
			/* hdrlen counts 8-octet units after the first 8. */
			if (c->pos + (opt->hdrlen + 1) * 8 > c->end)
				goto bad_chain;
			c->pos += (opt->hdrlen + 1) * 8;
			break;
		case IPPROTO_FRAGMENT:
			fh = c->pos;
			if ((void *)(fh + 1) > c->end)
				goto bad_chain;
			nexthdr = fh->nexthdr;
			c->pos = fh + 1;
			if (fh->frag_off & bpf_htons(0xFFF8)) {
				*l4 = 0;
				return nexthdr;
			}
			break;
		default:
			return nexthdr;
		}
	}
	switch (nexthdr) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
	case IPPROTO_FRAGMENT:
		goto bad_chain;
	}
	return nexthdr;
bad_chain:
	*l4 = -1;
	return 0;
}

#endif /* XDPGUARD_PARSING_H */
