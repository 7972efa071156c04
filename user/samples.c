// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Drop samples in user space: decoding for display, the daemon-side rate
 * cap, the last few kept for `xdpguard samples`, and the pcap file. The
 * pcap file is written by libpcap (pcap_dump), so tcpdump and Wireshark
 * read it and an existing file is appended to across restarts.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>
#include <pcap/pcap.h>

#include "bans.h"
#include "common.h"
#include "output.h"
#include "parse.h"
#include "samples.h"

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8

static __u16 be16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static void v4_mapped(struct xg_addr *a, const __u8 *p)
{
	memset(a, 0, sizeof(*a));
	a->a[10] = a->a[11] = 0xff;
	memcpy(&a->a[12], p, 4);
}

static void transport(const __u8 *p, __u32 left, struct xg_sample_info *o)
{
	switch (o->proto) {
	case 6: /* TCP */
		if (left < 14)
			return;
		o->has_ports = o->has_tcp = true;
		o->sport = be16(p);
		o->dport = be16(p + 2);
		o->tcp_flags = p[13];
		break;
	case 17: /* UDP */
		if (left < 4)
			return;
		o->has_ports = true;
		o->sport = be16(p);
		o->dport = be16(p + 2);
		break;
	case 1: /* ICMP */
	case 58: /* ICMPv6 */
		if (left >= 1)
			o->icmp_type = p[0];
		break;
	}
}

void xg_sample_decode(const __u8 *data, __u32 len, struct xg_sample_info *o)
{
	const __u8 *p = data + ETH_HLEN, *end = data + len;
	__u16 type;
	int i;

	memset(o, 0, sizeof(*o));
	o->proto = o->icmp_type = -1;
	if (len < ETH_HLEN)
		return;
	type = be16(data + 12);
	while ((type == ETH_P_8021Q || type == ETH_P_8021AD) && end - p >= 4 &&
	       o->nvlan < 2) {
		o->vlan[o->nvlan++] = be16(p) & 0x0fff;
		type = be16(p + 2);
		p += 4;
	}
	if (type == ETH_P_IP && end - p >= 20) {
		__u32 ihl = (p[0] & 0x0f) * 4;

		o->family = 4;
		v4_mapped(&o->src, p + 12);
		v4_mapped(&o->dst, p + 16);
		o->proto = p[9];
		/* Later fragments carry no transport header. */
		if (ihl >= 20 && !(be16(p + 6) & 0x1fff) && end - p >= ihl)
			transport(p + ihl, end - p - ihl, o);
	} else if (type == ETH_P_IPV6 && end - p >= 40) {
		__u8 nh = p[6];

		o->family = 6;
		memcpy(o->src.a, p + 8, 16);
		memcpy(o->dst.a, p + 24, 16);
		p += 40;
		/* hop-by-hop, routing, destination options, fragment */
		for (i = 0;
		     i < 8 && (nh == 0 || nh == 43 || nh == 60 || nh == 44);
		     i++) {
			__u32 hl = nh == 44 ?
					   8 :
					   (end - p >= 2 ? (p[1] + 1) * 8 : 0);

			if (!hl || end - p < hl)
				return;
			if (nh == 44 && (be16(p + 2) & 0xfff8)) {
				o->proto = p[0];
				return; /* a later fragment */
			}
			nh = p[0];
			p += hl;
		}
		o->proto = nh;
		transport(p, end - p, o);
	}
}

const char *xg_tcp_flags_str(__u8 flags, char *buf)
{
	static const char names[] = "FSRPAUEC";
	int i, n = 0;

	for (i = 0; i < 8; i++)
		if (flags & (1 << i))
			buf[n++] = names[i];
	if (!n)
		buf[n++] = '.';
	buf[n] = '\0';
	return buf;
}

void xg_bucket_init(struct xg_bucket *b, double rate, __u64 now)
{
	b->rate = rate;
	b->tokens = rate;
	b->last_ns = now;
}

bool xg_bucket_take(struct xg_bucket *b, __u64 now)
{
	if (now > b->last_ns) {
		b->tokens +=
			(double)(now - b->last_ns) / NSEC_PER_SEC * b->rate;
		if (b->tokens > b->rate)
			b->tokens = b->rate;
		b->last_ns = now;
	}
	if (b->tokens < 1)
		return false;
	b->tokens -= 1;
	return true;
}

void xg_samples_init(struct xg_samples *s, __u32 rate, __u64 now)
{
	memset(s, 0, sizeof(*s));
	xg_bucket_init(&s->bucket, rate, now);
}

static int dump_open(struct xg_samples *s)
{
	pcap_t *pd = pcap_open_dead(DLT_EN10MB, XG_SAMPLE_SNAP);
	pcap_dumper_t *d;

	if (!pd)
		return -ENOMEM;
	d = pcap_dump_open_append(pd, s->path);
	if (!d) {
		/* libpcap's message starts with the path. */
		xg_err("cannot open pcap file %s", pcap_geterr(pd));
		pcap_close(pd);
		return -EIO;
	}
	s->pcap = pd;
	s->dumper = d;
	return 0;
}

static void pcap_close_all(struct xg_samples *s)
{
	if (s->dumper)
		pcap_dump_close(s->dumper);
	if (s->pcap)
		pcap_close(s->pcap);
	s->dumper = s->pcap = NULL;
}

int xg_samples_pcap_open(struct xg_samples *s, const char *path)
{
	if (strlen(path) >= sizeof(s->path)) {
		xg_err("pcap file name too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(s->path, path);
	return dump_open(s);
}

int xg_samples_pcap_reopen(struct xg_samples *s)
{
	if (!s->path[0])
		return 0;
	pcap_close_all(s);
	return dump_open(s);
}

void xg_samples_close(struct xg_samples *s)
{
	pcap_close_all(s);
}

bool xg_samples_add(struct xg_samples *s, const struct xg_sample *x,
		    __u64 mono_now, __u64 real_now)
{
	struct xg_sample_rec *r;
	__u64 age = mono_now > x->ts_ns ? mono_now - x->ts_ns : 0;

	if (!xg_bucket_take(&s->bucket, mono_now)) {
		s->capped++;
		return false;
	}
	r = &s->ring[s->seq % XG_SAMPLES_KEEP];
	r->seq = ++s->seq;
	r->real_ns = real_now - age;
	r->s = *x;
	if (r->s.cap_len > XG_SAMPLE_SNAP)
		r->s.cap_len = XG_SAMPLE_SNAP;
	s->kept++;
	s->dirty = true;
	if (s->dumper) {
		struct pcap_pkthdr h = {
			.ts = { r->real_ns / NSEC_PER_SEC,
				r->real_ns % NSEC_PER_SEC / 1000 },
			.caplen = r->s.cap_len,
			.len = r->s.pkt_len,
		};

		pcap_dump(s->dumper, &h, r->s.data);
		pcap_dump_flush(s->dumper);
	}
	return true;
}

json_object *xg_sample_json(const struct xg_sample_rec *r)
{
	static const char hex[] = "0123456789abcdef";
	char ts[40], a[XG_ADDR_STRLEN], ifname[IF_NAMESIZE], fl[9];
	char h[2 * XG_SAMPLE_SNAP + 1];
	json_object *o = json_object_new_object(), *v;
	struct xg_sample_info in;
	__u32 i;

	xg_sample_decode(r->s.data, r->s.cap_len, &in);
	json_object_object_add(o, "seq", json_object_new_int64(r->seq));
	json_object_object_add(
		o, "ts",
		json_object_new_string(xg_ts_str(r->real_ns, ts, sizeof(ts))));
	json_object_object_add(o, "iface",
			       if_indextoname(r->s.ifindex, ifname) ?
				       json_object_new_string(ifname) :
				       NULL);
	json_object_object_add(
		o, "reason",
		json_object_new_string(xg_reason_name(r->s.reason)));
	json_object_object_add(o, "len", json_object_new_int(r->s.pkt_len));
	json_object_object_add(o, "caplen", json_object_new_int(r->s.cap_len));
	json_object_object_add(
		o, "family",
		in.family ? json_object_new_string(in.family == 4 ? "ipv4" :
								    "ipv6") :
			    NULL);
	/* Every key always present (null when the headers do not say). */
	json_object_object_add(o, "src",
			       in.family ? json_object_new_string(xg_addr_str(
						   &in.src, a, sizeof(a))) :
					   NULL);
	json_object_object_add(o, "dst",
			       in.family ? json_object_new_string(xg_addr_str(
						   &in.dst, a, sizeof(a))) :
					   NULL);
	json_object_object_add(o, "proto",
			       in.proto >= 0 ? json_object_new_int(in.proto) :
					       NULL);
	json_object_object_add(o, "sport",
			       in.has_ports ? json_object_new_int(in.sport) :
					      NULL);
	json_object_object_add(o, "dport",
			       in.has_ports ? json_object_new_int(in.dport) :
					      NULL);
	json_object_object_add(o, "tcp_flags",
			       in.has_tcp ?
				       json_object_new_string(xg_tcp_flags_str(
					       in.tcp_flags, fl)) :
				       NULL);
	json_object_object_add(
		o, "icmp_type",
		in.icmp_type >= 0 ? json_object_new_int(in.icmp_type) : NULL);
	v = json_object_new_array();
	for (i = 0; i < (__u32)in.nvlan; i++)
		json_object_array_add(v, json_object_new_int(in.vlan[i]));
	json_object_object_add(o, "vlan", v);
	for (i = 0; i < r->s.cap_len && i < XG_SAMPLE_SNAP; i++) {
		h[2 * i] = hex[r->s.data[i] >> 4];
		h[2 * i + 1] = hex[r->s.data[i] & 15];
	}
	h[2 * i] = '\0';
	json_object_object_add(o, "hex", json_object_new_string(h));
	return o;
}

json_object *xg_samples_json(const struct xg_samples *s)
{
	json_object *arr = json_object_new_array();
	__u64 first = s->seq > XG_SAMPLES_KEEP ? s->seq - XG_SAMPLES_KEEP : 0;
	__u64 q;

	for (q = first; q < s->seq; q++)
		json_object_array_add(
			arr, xg_sample_json(&s->ring[q % XG_SAMPLES_KEEP]));
	return arr;
}
