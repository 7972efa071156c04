/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Builders for the Ethernet frames the verdict tests feed the XDP program. */
#ifndef XG_TEST_FRAMES_H
#define XG_TEST_FRAMES_H

#include <stddef.h>
#include <linux/types.h>

#define FRAME_MAX 512

#define TPID_8021Q 0x8100
#define TPID_8021AD 0x88a8

/* TCP flag bits as they sit in byte 13 of the header. */
#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10
#define F_ECE 0x40
#define F_CWR 0x80

/* IPv6 extension headers, by their next-header numbers. */
#define X_HOP 0
#define X_RT 43
#define X_FRAG 44
#define X_DST 60

/*
 * A frame under construction. Each builder appends one header at len and
 * records where the layers start, so a truncation sweep knows which header
 * a cut lands in.
 */
struct frame {
	__u8 b[FRAME_MAX];
	size_t len;
	size_t l3_off; /* start of the IP header; 0 = none */
	size_t l4_off; /* start of the transport header; 0 = none */
	size_t l4_min; /* transport bytes the program needs to parse it */
	int family; /* 4, 6, or 0 for no IP header */
	__u8 l4_proto; /* transport header written, if any */
};

/*
 * A declarative frame description, so a table row can say what it sends.
 * Zero fields mean the common case: no VLAN tag, IHL 5, no fragment, no
 * extension headers, no payload, nothing cut off.
 */
struct pkt {
	__u16 tags[3]; /* TPIDs of the VLAN tags, outer first; 0 = none */
	__u16 ethertype; /* non-IP frames only (ARP, LLDP) */
	const char *src, *dst; /* IPv4 or IPv6 text; the family follows */
	__u8 ihl; /* IPv4 header length in words; 0 = 5 */
	__u8 version; /* IP version nibble override; 0 = the right one */
	__u16 frag; /* IPv4 frag_off (host order): IP_MF | offset / 8 */
	__u8 ext[8]; /* IPv6 extension headers, in order */
	__u8 n_ext;
	__u16 frag6; /* IPv6 fragment header's offset / 8 << 3 | M */
	__u8 proto; /* transport protocol */
	__u8 flags; /* TCP flags */
	__u16 sport, dport;
	__u8 type; /* ICMP / ICMPv6 type */
	__u16 payload; /* bytes after the transport header */
	__u8 fill; /* value of those bytes */
	__u16 cut; /* bytes cut off the end of the finished frame */
};

/* Parses an IPv4 or IPv6 address into the 16-byte form; returns 4, 6 or 0. */
int addr_parse(const char *s, __u8 a[16]);

void fb_eth(struct frame *f, __u16 ethertype);
void fb_vlan(struct frame *f, __u16 vid, __u16 next);
void fb_ipv4(struct frame *f, const __u8 src[16], const __u8 dst[16],
	     __u8 proto, __u8 ihl, __u16 frag);
void fb_ipv6(struct frame *f, const __u8 src[16], const __u8 dst[16],
	     __u8 next);
void fb_ip6_opt(struct frame *f, __u8 type, __u8 next);
void fb_ip6_frag(struct frame *f, __u8 next, __u16 frag6);
void fb_tcp(struct frame *f, __u16 sport, __u16 dport, __u8 flags);
void fb_udp(struct frame *f, __u16 sport, __u16 dport);
void fb_icmp(struct frame *f, __u8 proto, __u8 type);
void fb_arp(struct frame *f);
void fb_bytes(struct frame *f, size_t n, __u8 fill);
/* Fills in IP length fields and the IPv4 header checksum. */
void fb_finish(struct frame *f);

/* Builds the frame a struct pkt describes; returns 0 or -EINVAL. */
int pkt_build(const struct pkt *p, struct frame *f);

#endif /* XG_TEST_FRAMES_H */
