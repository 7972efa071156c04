// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Frame builders: each appends one header, in network byte order. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"

static const __u8 mac_dst[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const __u8 mac_src[6] = { 0x02, 0, 0, 0, 0, 0x01 };

/* Overrunning the buffer is a bug in the table, not in the program. */
static __u8 *put(struct frame *f, size_t n)
{
	__u8 *p = f->b + f->len;

	if (f->len + n > FRAME_MAX) {
		fprintf(stderr, "frame builder: %zu bytes do not fit\n", n);
		abort();
	}
	memset(p, 0, n);
	f->len += n;
	return p;
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

int addr_parse(const char *s, __u8 a[16])
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET6, s, a) == 1)
		return 6;
	if (inet_pton(AF_INET, s, a + 12) == 1) {
		a[10] = 0xff;
		a[11] = 0xff;
		return 4;
	}
	return 0;
}

void fb_eth(struct frame *f, __u16 ethertype)
{
	__u8 *p = put(f, 14);

	memcpy(p, mac_dst, 6);
	memcpy(p + 6, mac_src, 6);
	put16(p + 12, ethertype);
}

void fb_vlan(struct frame *f, __u16 vid, __u16 next)
{
	__u8 *p = put(f, 4);

	put16(p, vid & 0x0fff);
	put16(p + 2, next);
}

/* Options are NOPs up to a closing end-of-list, so any IHL stays valid. */
void fb_ipv4(struct frame *f, const __u8 src[16], const __u8 dst[16],
	     __u8 proto, __u8 ihl, __u16 frag)
{
	size_t hlen = ihl > 5 ? ihl * 4u : 20;
	__u8 *p;

	f->l3_off = f->len;
	f->family = 4;
	p = put(f, hlen);
	p[0] = 0x40 | (ihl & 0x0f);
	put16(p + 4, 0x1234);
	put16(p + 6, frag);
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, src + 12, 4);
	memcpy(p + 16, dst + 12, 4);
	if (hlen > 20) {
		memset(p + 20, 1, hlen - 20);
		p[hlen - 1] = 0;
	}
}

void fb_ipv6(struct frame *f, const __u8 src[16], const __u8 dst[16], __u8 next)
{
	__u8 *p;

	f->l3_off = f->len;
	f->family = 6;
	p = put(f, 40);
	p[0] = 0x60;
	p[6] = next;
	p[7] = 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
}

/* Hop-by-hop / destination options padded with PadN; routing with 0 left. */
void fb_ip6_opt(struct frame *f, __u8 type, __u8 next)
{
	__u8 *p = put(f, 8);

	p[0] = next;
	if (type != X_RT) {
		p[2] = 1;
		p[3] = 4;
	}
}

void fb_ip6_frag(struct frame *f, __u8 next, __u16 frag6)
{
	__u8 *p = put(f, 8);

	p[0] = next;
	put16(p + 2, frag6);
	put16(p + 6, 0x5678);
}

/* Transport checksums stay zero: the program never looks at them. */
void fb_tcp(struct frame *f, __u16 sport, __u16 dport, __u8 flags)
{
	__u8 *p;

	f->l4_off = f->len;
	f->l4_min = 20;
	f->l4_proto = 6;
	p = put(f, 20);
	put16(p, sport);
	put16(p + 2, dport);
	put16(p + 6, 1);
	p[12] = 5 << 4;
	p[13] = flags;
	put16(p + 14, 65535);
}

void fb_udp(struct frame *f, __u16 sport, __u16 dport)
{
	__u8 *p;

	f->l4_off = f->len;
	f->l4_min = 8;
	f->l4_proto = 17;
	p = put(f, 8);
	put16(p, sport);
	put16(p + 2, dport);
}

/* The program reads only type and code, so 4 bytes is all it needs. */
void fb_icmp(struct frame *f, __u8 proto, __u8 type)
{
	__u8 *p;

	f->l4_off = f->len;
	f->l4_min = 4;
	f->l4_proto = proto;
	p = put(f, 8);
	p[0] = type;
	put16(p + 4, 0x4242);
	put16(p + 6, 1);
}

void fb_arp(struct frame *f)
{
	__u8 *p = put(f, 28);

	put16(p, 1);
	put16(p + 2, 0x0800);
	p[4] = 6;
	p[5] = 4;
	put16(p + 6, 1);
	memcpy(p + 8, mac_src, 6);
	memcpy(p + 14, "\x0a\x00\x00\x01", 4);
	memcpy(p + 24, "\x0a\x00\x00\x02", 4);
}

void fb_bytes(struct frame *f, size_t n, __u8 fill)
{
	memset(put(f, n), fill, n);
}

static __u16 csum16(const __u8 *p, size_t n)
{
	__u32 sum = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

void fb_finish(struct frame *f)
{
	__u8 *ip = f->b + f->l3_off;
	size_t hlen = (ip[0] & 0x0f) * 4u;

	if (f->family == 4) {
		if (hlen < 20)
			hlen = 20;
		put16(ip + 2, f->len - f->l3_off);
		put16(ip + 10, 0);
		put16(ip + 10, csum16(ip, hlen));
	} else if (f->family == 6) {
		put16(ip + 4, f->len - f->l3_off - 40);
	}
	if (f->l4_proto == 17)
		put16(f->b + f->l4_off + 4, f->len - f->l4_off);
}

static void pkt_l4(const struct pkt *p, struct frame *f)
{
	switch (p->proto) {
	case 6:
		fb_tcp(f, p->sport, p->dport, p->flags);
		break;
	case 17:
		fb_udp(f, p->sport, p->dport);
		break;
	case 1:
	case 58:
		fb_icmp(f, p->proto, p->type);
		break;
	}
}

int pkt_build(const struct pkt *p, struct frame *f)
{
	__u8 src[16], dst[16];
	__u16 ethertype = p->ethertype;
	int fam = 0, ntags, i;

	memset(f, 0, sizeof(*f));
	if (p->src) {
		fam = addr_parse(p->src, src);
		if (!fam || !p->dst || addr_parse(p->dst, dst) != fam)
			return -EINVAL;
		if (!ethertype)
			ethertype = fam == 6 ? 0x86dd : 0x0800;
	}
	for (ntags = 0; ntags < 3 && p->tags[ntags]; ntags++)
		;
	fb_eth(f, ntags ? p->tags[0] : ethertype);
	for (i = 0; i < ntags; i++)
		fb_vlan(f, 100 + i, i + 1 < ntags ? p->tags[i + 1] : ethertype);

	if (fam == 4) {
		fb_ipv4(f, src, dst, p->proto, p->ihl ? p->ihl : 5, p->frag);
	} else if (fam == 6) {
		fb_ipv6(f, src, dst, p->n_ext ? p->ext[0] : p->proto);
		for (i = 0; i < p->n_ext; i++) {
			__u8 next = i + 1 < p->n_ext ? p->ext[i + 1] : p->proto;

			if (p->ext[i] == X_FRAG)
				fb_ip6_frag(f, next, p->frag6);
			else
				fb_ip6_opt(f, p->ext[i], next);
		}
	} else if (ethertype == 0x0806) {
		fb_arp(f);
	}
	if (fam && p->version)
		f->b[f->l3_off] = p->version << 4 | (f->b[f->l3_off] & 0x0f);
	if (fam)
		pkt_l4(p, f);
	fb_bytes(f, p->payload, p->fill);
	fb_finish(f);

	if (p->cut > f->len)
		return -EINVAL;
	f->len -= p->cut;
	return 0;
}
