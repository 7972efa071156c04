/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Samples of dropped packets. The XDP program sends at most sample_rate
 * headers per CPU per second to a ring buffer; the daemon is its only
 * consumer (a BPF ring buffer has one consumer position, so a second reader
 * would steal records). It caps the total at sample_rate per second with a
 * token bucket, keeps the last XG_SAMPLES_KEEP for `xdpguard samples`
 * (published in /run), and appends each to a pcap file with --pcap.
 */
#ifndef XG_SAMPLES_H
#define XG_SAMPLES_H

#include <stdbool.h>
#include <json-c/json.h>

#include "xdpguard.h"

#define XG_SAMPLES_KEEP 100

/* What the headers of a sample say; fields absent from it are zero. */
struct xg_sample_info {
	int family; /* 4, 6, or 0 when not IP */
	struct xg_addr src, dst;
	int proto; /* IP protocol; -1 when unknown */
	bool has_ports;
	__u16 sport, dport;
	bool has_tcp;
	__u8 tcp_flags;
	int icmp_type; /* -1 when not ICMP/ICMPv6 */
	int nvlan;
	__u16 vlan[2];
};

/* Decodes Ethernet, VLAN tags, IPv4/IPv6 (skipping extension headers) and
 * the transport header, as far as the captured bytes go. Pure. */
void xg_sample_decode(const __u8 *data, __u32 len, struct xg_sample_info *out);
/* "SA", "R", "F", ... in tcpdump's order (FSRPAUEC); buf >= 9 bytes. */
const char *xg_tcp_flags_str(__u8 flags, char *buf);

/* A token bucket: rate per second, burst of the same size. */
struct xg_bucket {
	double tokens, rate;
	__u64 last_ns;
};

void xg_bucket_init(struct xg_bucket *b, double rate, __u64 now);
/* True (and one token spent) when an event may pass at now. */
bool xg_bucket_take(struct xg_bucket *b, __u64 now);

struct xg_sample_rec {
	__u64 seq; /* 1, 2, ... since the daemon started */
	__u64 real_ns; /* CLOCK_REALTIME of the drop */
	struct xg_sample s;
};

struct xg_samples {
	struct xg_sample_rec ring[XG_SAMPLES_KEEP];
	__u64 seq; /* last assigned */
	struct xg_bucket bucket;
	__u64 kept, capped;
	bool dirty; /* new samples since the last publish */
	void *pcap, *dumper; /* pcap_t, pcap_dumper_t */
	char path[256];
};

void xg_samples_init(struct xg_samples *s, __u32 rate, __u64 now);
/* Opens (appending to) a pcap file for every kept sample. */
int xg_samples_pcap_open(struct xg_samples *s, const char *path);
/* For logrotate: close and open the file again (SIGHUP). */
int xg_samples_pcap_reopen(struct xg_samples *s);
void xg_samples_close(struct xg_samples *s);
/*
 * One record from the ring buffer, at monotonic time now. Returns true if
 * kept, false if over the rate cap.
 */
bool xg_samples_add(struct xg_samples *s, const struct xg_sample *x,
		    __u64 mono_now, __u64 real_now);
/* {"seq", "ts", "iface", "reason", "len", "src", "dst", "proto", ...} */
json_object *xg_sample_json(const struct xg_sample_rec *r);
/* The kept samples, oldest first. */
json_object *xg_samples_json(const struct xg_samples *s);

#endif /* XG_SAMPLES_H */
