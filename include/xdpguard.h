/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Types shared by the XDP program and user space, defined once.
 *
 * Every address is stored as 16 bytes: IPv6 as is, IPv4 as an IPv4-mapped
 * IPv6 address (::ffff:a.b.c.d). One key type then serves both families in
 * every map, and an IPv4 prefix /n is the mapped prefix /(96 + n).
 */
#ifndef XDPGUARD_H
#define XDPGUARD_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define XG_PIN_DIR_DEFAULT "/sys/fs/bpf/xdpguard"

/* Map names: also the file names of their pins under the pin directory. */
#define XG_MAP_BANS "bans"
#define XG_MAP_ALLOW "allow"
#define XG_MAP_SRC "src_stats"
#define XG_MAP_DST "dst_stats"
#define XG_MAP_GLOBAL "global_stats"
/* Pinned bpf_link of interface NAME: "<pin dir>/link_<NAME>". */
#define XG_LINK_PREFIX "link_"

/* Default map sizes (entries); the daemon may resize them before load. */
#define XG_BANS_MAX_DEFAULT 65536
#define XG_ALLOW_MAX_DEFAULT 4096
#define XG_SRC_MAX_DEFAULT 131072
#define XG_DST_MAX_DEFAULT 4096

struct xg_addr {
	__u8 a[16];
};

/* LPM trie key: prefixlen counts bits of a[], so IPv4 /n is 96 + n. */
struct xg_lpm_key {
	__u32 prefixlen;
	__u8 a[16];
};

/* Why an address is banned; also selects its drop counter. */
enum xg_reason {
	XG_REASON_NONE = 0,
	XG_REASON_MANUAL,
	XG_REASON_PORT_SCAN,
	XG_REASON_SYN_FLOOD,
	XG_REASON_ICMP_FLOOD,
	XG_REASON_CONN_FLOOD,
	XG_REASON_BLOCKLIST,
	XG_REASON__MAX,
};

/*
 * A ban. Times are CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns()), so the
 * kernel stops enforcing an expired ban on its own, daemon or not.
 */
struct xg_ban {
	__u64 expires_ns; /* 0 = never */
	__u64 created_ns;
	__u32 reason; /* enum xg_reason */
	__u32 repeat; /* how many times this address was banned recently */
};

/* Value of the allowlist trie (the kernel only tests for presence). */
struct xg_allow {
	__u64 created_ns;
	__u32 flags; /* XG_ALLOW_F_* */
	__u32 pad;
};

/* Added by the daemon's self-protection (own address, gateway, SSH peer). */
#define XG_ALLOW_F_SELF 1

/*
 * Distinct destination ports are estimated with a 128-bit linear-counting
 * sketch per source and per window: port p sets bit xg_port_bit(p). 24
 * distinct ports set about 22 bits, so the estimate stays useful well past
 * any sane scan threshold, and the whole entry fits in 80 bytes.
 */
#define XG_PORT_BITS 128
#define XG_PORT_WORDS (XG_PORT_BITS / 64)

static inline __u32 xg_port_bit(__u16 port)
{
	/* Knuth's multiplicative hash; the top 7 of 16 bits. */
	return ((__u32)port * 40503u >> 9) & (XG_PORT_BITS - 1);
}

/*
 * Per-source counters, one copy per CPU (LRU per-CPU hash): the hot path
 * needs no atomics and user space sums the copies. The 32-bit counters wrap;
 * user space only ever takes differences between two polls.
 */
struct xg_src_stats {
	__u64 pkts;
	__u64 bytes;
	__u32 syns; /* SYN set, ACK clear (ECE/CWR ignored) */
	__u32 icmp_echo; /* ICMP type 8, ICMPv6 type 128 */
	__u32 udp;
	__u32 port_epoch; /* bpf_ktime_get_ns() >> port_win_shift */
	__u64 first_ns;
	__u64 last_ns;
	__u64 tcp_ports[XG_PORT_WORDS]; /* SYN destination ports, this epoch */
	__u64 udp_ports[XG_PORT_WORDS]; /* UDP destination ports, this epoch */
};

/* Per-destination counters, so a flood from forged sources still shows. */
struct xg_dst_stats {
	__u64 syns;
	__u64 icmp_echo;
};

/*
 * Global per-CPU counters: every packet lands in exactly one slot, chosen in
 * one place on the BPF side. Drops are split by the ban's reason.
 */
enum xg_counter_idx {
	XG_CNT_PASS = 0, /* parsed, counted, passed */
	XG_CNT_ALLOWED, /* allowlisted source, passed uncounted */
	XG_CNT_MALFORMED, /* truncated or unparsable header, passed */
	XG_CNT_NON_IP, /* not IPv4/IPv6 (ARP, LLDP, ...), passed */
	XG_CNT_DROP_BASE = 8, /* + enum xg_reason */
	XG_CNT__MAX = XG_CNT_DROP_BASE + XG_REASON__MAX,
};

struct xg_counter {
	__u64 pkts;
	__u64 bytes;
};

#endif /* XDPGUARD_H */
