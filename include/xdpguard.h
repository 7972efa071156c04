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
#define XG_MAP_SAMPLES "samples"
#define XG_MAP_SAMPLE_BUDGET "sample_budget"
#define XG_MAP_PREFIXES "ban_prefixes"
#define XG_MAP_SOURCES "sources"
#define XG_MAP_META "meta"
/*
 * Bumped by every writer of allow, bans and ban_prefixes, after its write
 * (an mmap'able array of one u64: user space adds atomically). The XDP
 * program's verdict cache ("vcache") trusts a slot only while it is
 * unchanged, so a writer that skips the bump leaves stale verdicts behind.
 */
#define XG_MAP_GEN "verdict_gen"
#define XG_MAP_VCACHE "vcache"
#define XG_MAP_ADMIT_STATE "admit_state"
#define XG_MAP_ADMIT_SKETCH "admit_sketch"
/* Pinned bpf_link of interface NAME: "<pin dir>/link_<NAME>". */
#define XG_LINK_PREFIX "link_"

/* Port windows of 2^33 ns (8.6 s) unless run --port-win-shift says. */
#define XG_PORT_WIN_SHIFT_DEFAULT 33

/* Default map sizes (entries); the daemon may resize them before load. */
#define XG_BANS_MAX_DEFAULT 65536
#define XG_ALLOW_MAX_DEFAULT 4096
#define XG_SRC_MAX_DEFAULT 131072 /* slots in the source table */
#define XG_SRC_BUCKETS_DEFAULT (XG_SRC_MAX_DEFAULT / XG_SRC_WAYS)
#define XG_DST_MAX_DEFAULT 4096
/* Verdict cache slots per CPU (a power of two). */
#define XG_VCACHE_SLOTS 4096

/*
 * The verdict cache slot of an address (its 16 bytes as two u64 in host
 * order): a multiplicative hash, enough to spread /64s and /24s alike.
 */
static inline __u32 xg_vcache_index(const __u64 a[2])
{
	__u64 x = a[0] * 0x9E3779B97F4A7C15ULL ^ a[1];

	/* Folded first: an IPv4 address's last byte is a[1]'s top 8 bits. */
	x ^= x >> 29;
	x *= 0xC2B2AE3D27D4EB4FULL;
	return (__u32)(x >> 40) & (XG_VCACHE_SLOTS - 1);
}
/*
 * Sightings in a row in its admission sketch slot that earn a new source an
 * entry under a flood (a forged source is seen once).
 */
#define XG_ADMIT_PKTS_DEFAULT 3
/* A cap, not a reservation: the trie allocates per entry (~200 B each). */
#define XG_PREFIXES_MAX_DEFAULT 1048576

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
	/*
	 * How many times this address was banned recently; 0 for a ban the
	 * XDP program made on its own (port-scan trip), until the daemon
	 * confirms it.
	 */
	__u32 repeat;
};

/*
 * A prefix ban (value of the ban_prefixes LPM trie). Several owners may ban
 * the same prefix: a ban of its own (manual or detected, XG_OWNER_DIRECT)
 * and any number of imported blocklists (bit s for source slot s). User
 * space merges them into ban: the latest expiry of any owner, and the own
 * ban's reason and repeat count when there is one (else
 * XG_REASON_BLOCKLIST). The datapath reads only ban and prefixlen.
 */
#define XG_OWNER_DIRECT 1u
#define XG_SOURCES_MAX 32 /* slot 0 is XG_OWNER_DIRECT's, 1..31 blocklists */

struct xg_prefix_ban {
	struct xg_ban ban; /* what the datapath enforces */
	__u64 direct_expires_ns; /* the own ban's expiry, if XG_OWNER_DIRECT */
	__u32 prefixlen; /* the key's: lets the datapath step past an expired match */
	__u32 owners; /* XG_OWNER_DIRECT | 1 << source slot */
};

/*
 * The datapath steps past at most this many expired matches, each to the
 * next shorter prefix, so an expired /32 never hides a live /24 around it
 * between user space sweeps.
 */
#define XG_PREFIX_STEPS 4

/* An imported blocklist: one slot of the sources array (name "" = free). */
#define XG_SOURCE_NAME_LEN 64
struct xg_source {
	__u64 expires_ns; /* every prefix of the list expires then; 0 = never */
	__u64 created_ns; /* first import (kept by later ones) */
	__u64 loaded_ns; /* latest import */
	__u32 count; /* prefixes it lists */
	__u32 pad;
	char name
		[XG_SOURCE_NAME_LEN]; /* the list's name (file name by default) */
	char note[XG_SOURCE_NAME_LEN]; /* import --reason TEXT */
};

/*
 * Small shared state, element 0 of the meta array, kept by user space under
 * its lists lock. prefix_entries gates the datapath's trie lookup, so an
 * empty trie costs one array load: writers raise it before they insert and
 * lower it after they delete, so it never reads 0 while entries exist.
 */
struct xg_meta {
	__u64 prefix_entries; /* entries in ban_prefixes (an upper bound) */
	__u64 changes; /* any ban changed: the daemon saves its state */
	__u64 prefix_changes; /* ban_prefixes or sources changed */
	__u64 full_bans; /* bans refused because the bans map was full */
	__u64 full_prefixes; /* prefix bans refused: ban_prefixes was full */
	__u64 src_seed; /* xg_src_bucket()'s seed for src_stats, as loaded */
	/* The program's port window, 2^N ns (0: written by an older version) */
	__u64 port_win_shift;
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
 * Per-source counters, one slot per source in the source table (see struct
 * xg_src_bucket). The 32-bit counters wrap; user space only ever takes
 * differences between two polls. first_ns == 0 marks a free slot.
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

/*
 * The source table: an mmap'able array of buckets of XG_SRC_WAYS slots, a
 * source in bucket xg_src_bucket() of its address. User space reads it in
 * place, a sequential scan (about 10 ms per million slots here) where the
 * batch API of a hash map costs 0.5-0.9 us per entry (docs/performance.md).
 * The slots are shared by all CPUs, not per CPU: a source in one bucket of
 * one table is what makes the scan cheap (no per-CPU copies to find and
 * sum). Updates are plain, not atomic: two CPUs counting the same source at
 * the same instant can lose an increment, so a source spread over many
 * receive queues is counted a little low. A full bucket gives its least
 * recently seen slot to a new source, as an LRU would.
 */
#define XG_SRC_WAYS 4

struct xg_src_slot {
	__u64 key[2]; /* the address, struct xg_addr's 16 bytes */
	struct xg_src_stats s;
};

struct xg_src_bucket {
	struct xg_src_slot w[XG_SRC_WAYS];
};

/* Buckets for a table of at least src_max slots (a power of two). */
static inline __u32 xg_src_nbuckets(__u32 src_max)
{
	__u32 n = XG_SRC_WAYS;

	while (n < src_max && n < (1u << 31))
		n <<= 1;
	return n / XG_SRC_WAYS;
}

/*
 * The bucket of an address; seed is random per table (struct xg_meta), so
 * an attacker cannot pick sources that crowd out a given one's bucket.
 */
static inline __u64 xg_mix64(__u64 x)
{
	/* splitmix64's finaliser: every input bit reaches every output bit. */
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

static inline __u64 xg_src_hash(const __u64 a[2], __u64 seed)
{
	return xg_mix64(xg_mix64(a[0] ^ seed) ^ a[1]);
}

/* The bucket takes the hash's low bits, the admission sketch its high ones. */
static inline __u32 xg_src_bucket(const __u64 a[2], __u64 seed, __u32 mask)
{
	return (__u32)xg_src_hash(a, seed) & mask;
}

/*
 * The admission sketch (bpf/admit.h): 2^XG_ADMIT_SLOT_BITS u32 slots per
 * CPU, each a 24-bit fingerprint of the source hash and an 8-bit count.
 * Slot from the hash's top bits, fingerprint from bits 8-31: 39 bits in all
 * must match, so forged sources do not add up to a repeat.
 */
#define XG_ADMIT_SLOT_BITS 15
static inline __u32 xg_admit_slot(__u64 h)
{
	return (__u32)(h >> (64 - XG_ADMIT_SLOT_BITS));
}

static inline __u32 xg_admit_fp(__u64 h)
{
	return (__u32)(h >> 8) & 0xffffff;
}

/* The way of bucket bk that holds address k, or -1 (user space, tests). */
static inline int xg_src_way(const struct xg_src_bucket *bk, const __u64 k[2])
{
	int w;

	for (w = 0; w < XG_SRC_WAYS; w++)
		if (bk->w[w].s.first_ns && bk->w[w].key[0] == k[0] &&
		    bk->w[w].key[1] == k[1])
			return w;
	return -1;
}

/*
 * Admission to the source table, per CPU (bpf/admit.h): this window's new
 * entries, and since the program was loaded, the entries admitted past the
 * budget by their packet count and the packets of sources kept out.
 */
struct xg_admit_state {
	__u32 win; /* bpf_ktime_get_coarse_ns() >> 30 */
	__u32 admitted; /* new entries in this window */
	__u64 heavy; /* admitted over budget: seen admit_pkts times */
	__u64 refused; /* packets of new sources refused an entry */
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

/*
 * A sample of a dropped packet, sent to the "samples" ring buffer at most
 * sample_rate times per second per CPU (the daemon caps the total). Only
 * the first XG_SAMPLE_SNAP bytes are kept: enough for Ethernet, two VLAN
 * tags, IPv6 with a few extension headers and the transport header.
 */
#define XG_SAMPLE_SNAP 128
#define XG_SAMPLES_BYTES (128 * 1024)

struct xg_sample {
	__u64 ts_ns; /* CLOCK_MONOTONIC_COARSE */
	__u32 ifindex;
	__u32 reason; /* enum xg_reason of the ban */
	__u32 pkt_len; /* length on the wire */
	__u32 cap_len; /* bytes in data[] */
	__u8 data[XG_SAMPLE_SNAP];
};

#endif /* XDPGUARD_H */
