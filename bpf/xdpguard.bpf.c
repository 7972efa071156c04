// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xdpguard's datapath: parse the frame, let allowlisted sources pass, drop
 * sources with a live ban, count everything else per source and pass it.
 * The verdict for a source is cached per CPU (vcache.h); new sources enter
 * the table under admission control (admit.h). All judgement (windows,
 * thresholds, bans) lives in user space, but for the port-scan trip below.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xdpguard.h"
#include "parsing.h"
#include "vcache.h"
#include "admit.h"

#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_ACK 0x10
#define ICMP_ECHO 8
#define ICMPV6_ECHO_REQUEST 128

/* Set by the loader before load (rodata): constant-folded by the verifier. */
const volatile __u32 port_win_shift = XG_PORT_WIN_SHIFT_DEFAULT;
const volatile __u8 track_dst = 1;
const volatile __u32 sample_rate = 10; /* drop samples per CPU per second */
/*
 * Port-scan fast path: distinct-port bits in a source's sketch at which the
 * source is banned here, at once, for scan_ban_ttl_ns. 0 = off (dry run).
 */
const volatile __u32 scan_trip_bits = 0;
const volatile __u64 scan_ban_ttl_ns = 0;
/* The source table's hash seed (kept in struct xg_meta) and bucket mask. */
const volatile __u64 src_seed = 0;
const volatile __u32 src_mask = XG_SRC_BUCKETS_DEFAULT - 1;

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct xg_lpm_key);
	__type(value, struct xg_allow);
	__uint(max_entries, XG_ALLOW_MAX_DEFAULT);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} allow SEC(".maps");

/* A plain hash, never LRU: a flood of new sources must not evict a ban. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct xg_addr);
	__type(value, struct xg_ban);
	__uint(max_entries, XG_BANS_MAX_DEFAULT);
} bans SEC(".maps");

/* Prefix bans, IPv4 and IPv6; consulted only when meta says it has any. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct xg_lpm_key);
	__type(value, struct xg_prefix_ban);
	__uint(max_entries, XG_PREFIXES_MAX_DEFAULT);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} ban_prefixes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct xg_meta);
	__uint(max_entries, 1);
} meta SEC(".maps");

/* Imported blocklists: read and written by user space only. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct xg_source);
	__uint(max_entries, XG_SOURCES_MAX);
} sources SEC(".maps");

/* Read in place by user space (mmap): see struct xg_src_bucket. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xg_src_bucket);
	__uint(max_entries, XG_SRC_BUCKETS_DEFAULT);
} src_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__type(key, struct xg_addr);
	__type(value, struct xg_dst_stats);
	__uint(max_entries, XG_DST_MAX_DEFAULT);
} dst_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct xg_counter);
	__uint(max_entries, XG_CNT__MAX);
} global_stats SEC(".maps");

/* Headers of dropped packets for `xdpguard samples` and --pcap. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, XG_SAMPLES_BYTES);
} samples SEC(".maps");

/* Per-CPU budget of samples: no atomics even on the drop path. */
struct sample_budget {
	__u64 sec;
	__u32 n;
	__u32 spent; /* drops since n reached sample_rate */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct sample_budget);
	__uint(max_entries, 1);
} sample_budget SEC(".maps");

/* What the transport header told us; all zero when there was none. */
struct l4_info {
	__u8 syn;
	__u8 echo;
	__u8 udp;
	__u8 malformed;
	__u16 dport; /* host order; 0 = none */
	__u16 sport;
};

/* Every verdict goes through here, so every packet is counted once. */
static __always_inline int verdict(__u32 idx, __u64 len, int action)
{
	struct xg_counter *c = bpf_map_lookup_elem(&global_stats, &idx);

	if (c) {
		c->pkts++;
		c->bytes += len;
	}
	return action;
}

static __always_inline void addr_from_v4(struct xg_addr *a, __be32 v4)
{
	__builtin_memset(a, 0, sizeof(*a));
	a->a[10] = 0xff;
	a->a[11] = 0xff;
	__builtin_memcpy(&a->a[12], &v4, 4);
}

static __always_inline void parse_l4(struct cursor *c, int proto, int v6,
				     struct l4_info *l4)
{
	struct tcphdr *tcp;
	struct udphdr *udp;
	__u8 *icmp;
	__u8 flags;

	switch (proto) {
	case IPPROTO_TCP:
		tcp = c->pos;
		if ((void *)(tcp + 1) > c->end) {
			l4->malformed = 1;
			return;
		}
		flags = ((__u8 *)tcp)[13];
		l4->syn =
			(flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
		l4->dport = bpf_ntohs(tcp->dest);
		l4->sport = bpf_ntohs(tcp->source);
		break;
	case IPPROTO_UDP:
		udp = c->pos;
		if ((void *)(udp + 1) > c->end) {
			l4->malformed = 1;
			return;
		}
		l4->udp = 1;
		l4->dport = bpf_ntohs(udp->dest);
		l4->sport = bpf_ntohs(udp->source);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/* Type and code: the four bytes every ICMP header has. */
		icmp = c->pos;
		if ((void *)(icmp + 4) > c->end) {
			l4->malformed = 1;
			return;
		}
		if (proto == IPPROTO_ICMP && !v6)
			l4->echo = icmp[0] == ICMP_ECHO;
		else if (proto == IPPROTO_ICMPV6 && v6)
			l4->echo = icmp[0] == ICMPV6_ECHO_REQUEST;
		break;
	}
}

static __always_inline int ban_live(const struct xg_ban *b, __u64 now)
{
	return b->expires_ns == 0 || now < b->expires_ns;
}

/*
 * The most specific live prefix ban covering k->a, or NULL. The trie gives
 * the longest match only; when that one has expired (and the sweep has not
 * removed it yet), look again just above its length, so it cannot hide a
 * live shorter ban around it. Clobbers k->prefixlen.
 */
static __always_inline struct xg_ban *prefix_ban(struct xg_lpm_key *k,
						 __u64 now)
{
	struct xg_prefix_ban *p;
	__u32 len = 128;
	int i;

	for (i = 0; i < XG_PREFIX_STEPS; i++) {
		k->prefixlen = len;
		p = bpf_map_lookup_elem(&ban_prefixes, k);
		if (!p)
			return NULL;
		if (ban_live(&p->ban, now))
			return &p->ban;
		/* Always shorter, so the loop moves on (or ends at /0). */
		if (p->prefixlen == 0 || p->prefixlen > len)
			return NULL;
		len = p->prefixlen - 1;
	}
	return NULL;
}

/* Sets the port's bit; true if it is new and scan_trip_bits are set. */
static __always_inline int set_bit(__u64 *words, __u16 port)
{
	__u32 bit = xg_port_bit(port), n = 0, i;
	__u64 *w = &words[bit / 64 & (XG_PORT_WORDS - 1)];
	__u64 m = 1ULL << (bit % 64);

	if (*w & m)
		return 0;
	*w |= m;
	if (!scan_trip_bits)
		return 0;
	/* At most XG_PORT_BITS times per source and window: not hot. */
	for (i = 0; i < XG_PORT_WORDS; i++)
		n += __builtin_popcountll(words[i]);
	return n >= scan_trip_bits;
}

/*
 * A scanner on the LAN probes a thousand ports in 10-20 ms, long before the
 * daemon's next poll: by then the scan is over. So the moment the sketch
 * of a source reaches the daemon's own threshold (the daemon tests the
 * same sketch), the source is banned here, with the
 * first ban's TTL and reason, and repeat 0. The daemon confirms it at its
 * next poll (from the sketch, or from repeat 0 if the sketch is out of its
 * sight), reports it and applies escalation. Only on a new bit, so at most
 * XG_PORT_BITS times per source and port window (a banned source is
 * dropped before it is counted), and again if it scans on once the ban
 * expired.
 */
static __always_inline void scan_ban(const struct xg_addr *src, __u64 now)
{
	struct xg_ban b = {
		.expires_ns = now + scan_ban_ttl_ns,
		.created_ns = now,
		.reason = XG_REASON_PORT_SCAN,
		.repeat = 0, /* the daemon's to confirm */
	};

	bpf_map_update_elem(&bans, src, &b, BPF_ANY);
	/* Every CPU's cached "count" verdict for src is stale now. */
	vc_bump();
}

/*
 * A UDP datagram from a low (service) port to a high one looks like a reply
 * (DNS, NTP, QUIC): its destination port is the client's ephemeral port and
 * says nothing about probing, so it stays out of the port sketch.
 */
static __always_inline int udp_probe(const struct l4_info *l4)
{
	return !(l4->sport < 1024 && l4->dport >= 1024);
}

/*
 * Counts the packet in its source's entry; cached: its verdict came from
 * the verdict cache, so the source is known to be busy. Returns 0 if the
 * source was kept out of the table (admit.h).
 */
static __always_inline int count_src(const struct xg_addr *src,
				     const __u64 a[2], __u64 len, __u64 now,
				     const struct l4_info *l4, int cached)
{
	__u32 epoch = now >> port_win_shift, b, i, victim = 0;
	__u64 h = xg_src_hash(a, src_seed); /* bucket and admission sketch */
	struct xg_admit_state *st = NULL;
	int trip = 0, how = ADMIT_BUDGET;
	struct xg_src_bucket *bk;
	struct xg_src_stats *s = NULL;
	__u64 oldest = ~0ULL;

	if (!cached) {
		st = admit_get(now);
		how = admit_check(st, h);
		if (how == ADMIT_NO)
			return 0;
	}
	b = (__u32)h & src_mask;
	bk = bpf_map_lookup_elem(&src_stats, &b);
	if (!bk)
		return 1;
#pragma unroll
	for (i = 0; i < XG_SRC_WAYS; i++) {
		struct xg_src_slot *w = &bk->w[i];
		/* Free slots (first_ns 0) count as seen at time 0: first out. */
		__u64 seen = w->s.first_ns ? w->s.last_ns : 0;

		if (w->s.first_ns && w->key[0] == a[0] && w->key[1] == a[1]) {
			s = &w->s;
			break;
		}
		if (seen < oldest) {
			oldest = seen;
			victim = i;
		}
	}
	if (!s) {
		struct xg_src_slot *w;

		if (!st)
			st = admit_get(now);
		if (!admit_new(st, how))
			return 0;
		w = &bk->w[victim & (XG_SRC_WAYS - 1)];
		__builtin_memset(&w->s, 0, sizeof(w->s));
		w->key[0] = a[0];
		w->key[1] = a[1];
		w->s.first_ns = now;
		w->s.port_epoch = epoch;
		s = &w->s;
	}
	s->pkts++;
	s->bytes += len;
	s->last_ns = now;
	if (s->port_epoch != epoch) {
		s->port_epoch = epoch;
		__builtin_memset(s->tcp_ports, 0, sizeof(s->tcp_ports));
		__builtin_memset(s->udp_ports, 0, sizeof(s->udp_ports));
	}
	if (l4->syn) {
		s->syns++;
		trip = set_bit(s->tcp_ports, l4->dport);
	} else if (l4->udp) {
		s->udp++;
		if (udp_probe(l4))
			trip = set_bit(s->udp_ports, l4->dport);
	} else if (l4->echo) {
		s->icmp_echo++;
	}
	if (trip)
		scan_ban(src, now);
	return 1;
}

static __always_inline void count_dst(const struct xg_addr *dst,
				      const struct l4_info *l4)
{
	struct xg_dst_stats *d, init = {};

	d = bpf_map_lookup_elem(&dst_stats, dst);
	if (!d) {
		bpf_map_update_elem(&dst_stats, dst, &init, BPF_NOEXIST);
		d = bpf_map_lookup_elem(&dst_stats, dst);
		if (!d)
			return;
	}
	d->syns += l4->syn;
	d->icmp_echo += l4->echo;
}

/*
 * Called on the drop path only. Budget windows are 2^30 ns (1.07 s) long so
 * the window number is a shift, not a division. Past the budget the cost is
 * one per-CPU lookup and a compare: the clock is read (if the caller has
 * not, now 0) once per 64 drops, to see the next window begin, so a
 * cached permanent ban drops without any helper call.
 */
static __always_inline void sample_drop(struct xdp_md *ctx, __u32 reason,
					__u64 len, __u64 now)
{
	struct sample_budget *b;
	struct xg_sample *r;
	__u32 zero = 0;
	__u64 cap; /* 64-bit: a u32 copy would hide the bound */

	if (!sample_rate)
		return;
	b = bpf_map_lookup_elem(&sample_budget, &zero);
	if (!b)
		return;
	if (b->n >= sample_rate && ++b->spent & 63)
		return;
	if (!now)
		now = bpf_ktime_get_coarse_ns();
	if (b->sec != now >> 30) {
		b->sec = now >> 30;
		b->n = 0;
		b->spent = 0;
	}
	if (b->n >= sample_rate)
		return;
	b->n++;
	r = bpf_ringbuf_reserve(&samples, sizeof(*r), 0);
	if (!r)
		return;
	cap = len < XG_SAMPLE_SNAP ? len : XG_SAMPLE_SNAP;
	if (cap < 1) {
		bpf_ringbuf_discard(r, 0);
		return;
	}
	r->ts_ns = now;
	r->ifindex = ctx->ingress_ifindex;
	r->reason = reason;
	r->pkt_len = len;
	r->cap_len = cap;
	if (bpf_xdp_load_bytes(ctx, 0, r->data, cap)) {
		bpf_ringbuf_discard(r, 0);
		return;
	}
	bpf_ringbuf_submit(r, 0);
}

SEC("xdp")
int xdpguard_prog(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct cursor c = { .pos = data, .end = data_end };
	__u64 len = data_end - data;
	struct l4_info l4 = {};
	struct xg_lpm_key lk;
	struct xg_addr dst;
	struct vc_slot *vc;
	struct xg_meta *m;
	struct xg_ban *ban;
	struct ipv6hdr *ip6;
	struct iphdr *iph;
	int proto, has_l4, v6;
	__u64 a[2], now, gen;
	__u32 zero = 0, reason;
	int cached = 0;

	proto = parse_eth(&c);
	if (proto < 0)
		return verdict(XG_CNT_MALFORMED, len, XDP_PASS);

	if (proto == ETH_P_IP) {
		proto = parse_ipv4(&c, &iph, &has_l4);
		if (proto < 0)
			return verdict(XG_CNT_MALFORMED, len, XDP_PASS);
		addr_from_v4((struct xg_addr *)lk.a, iph->saddr);
		addr_from_v4(&dst, iph->daddr);
		v6 = 0;
	} else if (proto == ETH_P_IPV6) {
		proto = parse_ipv6(&c, &ip6, &has_l4);
		if (proto < 0)
			return verdict(XG_CNT_MALFORMED, len, XDP_PASS);
		__builtin_memcpy(lk.a, &ip6->saddr, 16);
		__builtin_memcpy(dst.a, &ip6->daddr, 16);
		v6 = 1;
	} else {
		return verdict(XG_CNT_NON_IP, len, XDP_PASS);
	}

	/*
	 * The coarse clock (the last tick, no clock source read) is exact
	 * enough for ban expiry and the port and admission windows. It is
	 * CLOCK_MONOTONIC_COARSE: the same time base as user space's
	 * CLOCK_MONOTONIC, up to a tick behind. Read when first needed (now
	 * 0 until then): a helper call is the dearest thing a cached drop
	 * would do, and a permanent ban needs no time.
	 */
	now = 0;
	__builtin_memcpy(a, lk.a, sizeof(a));
	/* Read before the lookups: see vcache.h. */
	gen = vc_gen();
	vc = vc_slot(a);
	if (vc && vc->gen == (__u32)gen && vc->a[0] == a[0] &&
	    vc->a[1] == a[1]) {
		switch (vc->verdict) {
		case VC_ALLOW:
			return verdict(XG_CNT_ALLOWED, len, XDP_PASS);
		case VC_COUNT:
			cached = 1;
			now = bpf_ktime_get_coarse_ns();
			goto count;
		case VC_BAN:
			if (vc->expires_ns)
				now = bpf_ktime_get_coarse_ns();
			if (!vc->expires_ns || now < vc->expires_ns) {
				reason = vc->reason;
				goto drop;
			}
			break; /* expired: look again, a new ban may be there */
		}
	}
	if (!now)
		now = bpf_ktime_get_coarse_ns();

	/* Allow always wins, and allowed traffic never counts toward bans. */
	lk.prefixlen = 128;
	if (bpf_map_lookup_elem(&allow, &lk)) {
		vc_fill(vc, a, gen, VC_ALLOW, 0, 0);
		return verdict(XG_CNT_ALLOWED, len, XDP_PASS);
	}

	/*
	 * The ban applies once the source is known, even if the transport
	 * header turns out truncated: a banned host must not slip through by
	 * sending short segments.
	 */
	ban = bpf_map_lookup_elem(&bans, lk.a);
	/*
	 * The exact address is the fast path (and the most specific rule); the
	 * trie only when some prefix is banned, so an empty one costs nothing.
	 */
	if (ban && !ban_live(ban, now))
		ban = NULL;
	if (!ban) {
		m = bpf_map_lookup_elem(&meta, &zero);
		if (m && m->prefix_entries)
			ban = prefix_ban(&lk, now);
	}
	if (!ban)
		goto count;
	reason = ban->reason;
	if (reason >= XG_REASON__MAX)
		reason = XG_REASON_NONE;
	vc_fill(vc, a, gen, VC_BAN, ban->expires_ns, reason);
drop:
	sample_drop(ctx, reason, len, now);
	return verdict(XG_CNT_DROP_BASE + reason, len, XDP_DROP);

count:
	if (has_l4 > 0)
		parse_l4(&c, proto, v6, &l4);
	else if (has_l4 < 0)
		l4.malformed = 1;
	/*
	 * Cached only once counted: a forged source kept out of the table
	 * would push a real one out of the cache, for nothing.
	 */
	if (count_src((struct xg_addr *)lk.a, a, len, now, &l4, cached) &&
	    !cached)
		vc_fill(vc, a, gen, VC_COUNT, 0, 0);
	if (track_dst && (l4.syn || l4.echo))
		count_dst(&dst, &l4);

	return verdict(l4.malformed ? XG_CNT_MALFORMED : XG_CNT_PASS, len,
		       XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
