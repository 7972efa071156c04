/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Admission to the source table. A spoofed flood makes every packet a new
 * source: each one then costs a bucket read in a table of 12 MiB (a cache
 * and TLB miss, ~100-300 ns on this project's VMs) and the eviction of a
 * real source's slot, for sources that never send twice. So each CPU may add at most admit_budget new sources per window of
 * 2^30 ns (1.07 s), enough for any real population of clients. Once that
 * is spent, the CPU is under pressure until the window ends: a source whose
 * verdict was not cached (a new one, or one pushed out of the cache) must
 * first show admit_pkts packets within 2^24 ns (16.8 ms) in a small per-CPU
 * count sketch, which stays in cache, before it is looked up at all. A
 * real attacker inside a flood sends thousands of packets a second and
 * earns its entry within milliseconds; a forged source sends one. Refused
 * packets still pass, still count per destination (the spoofed-flood
 * alarm), and are counted in admit_state.refused.
 */
#ifndef XDPGUARD_ADMIT_H
#define XDPGUARD_ADMIT_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "xdpguard.h"

#define ADMIT_WIN_SHIFT 30
#define SKETCH_WIN_SHIFT 24
#define SKETCH_SLOTS 8192 /* u16 each: 16 KiB per CPU */

/* Set by the loader (rodata); 0 budget = admit every source. */
const volatile __u32 admit_budget = XG_SRC_MAX_DEFAULT / 16;
const volatile __u32 admit_pkts = XG_ADMIT_PKTS_DEFAULT;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct xg_admit_state);
	__uint(max_entries, 1);
} admit_state SEC(".maps");

/* Per CPU: no atomics, and no cache line shared under a flood. */
struct admit_sketch {
	__u16 c[SKETCH_SLOTS]; /* window tag << 8 | packets (at most 255) */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct admit_sketch);
	__uint(max_entries, 1);
} admit_sketch SEC(".maps");

enum admit_verdict {
	ADMIT_NO = 0, /* under pressure and light: keep out */
	ADMIT_BUDGET, /* look up; a new entry takes from the budget */
	ADMIT_HEAVY, /* under pressure but heavy: look up, add if new */
};

/* Another multiplier than the verdict cache's: independent collisions. */
static __always_inline __u32 sketch_index(const __u64 a[2])
{
	__u64 x = a[0] * 0xD6E8FEB86659FD93ULL ^ a[1];

	x *= 0x9FB21C651E98DF25ULL;
	return (__u32)(x >> 51) & (SKETCH_SLOTS - 1);
}

static __always_inline struct xg_admit_state *admit_get(__u64 now)
{
	__u32 zero = 0, win = now >> ADMIT_WIN_SHIFT;
	struct xg_admit_state *st = bpf_map_lookup_elem(&admit_state, &zero);

	if (st && st->win != win) {
		st->win = win;
		st->admitted = 0;
	}
	return st;
}

/* Before the lookup of a source whose verdict was not cached. */
static __always_inline int admit_check(struct xg_admit_state *st,
				       const __u64 a[2], __u64 now)
{
	__u16 tag = (now >> SKETCH_WIN_SHIFT & 0xff) << 8, v;
	struct admit_sketch *sk;
	__u32 zero = 0, i;

	if (!admit_budget || !st || st->admitted < admit_budget)
		return ADMIT_BUDGET;
	sk = bpf_map_lookup_elem(&admit_sketch, &zero);
	if (!sk)
		return ADMIT_BUDGET;
	i = sketch_index(a);
	v = sk->c[i];
	if ((v & 0xff00) != tag)
		v = tag;
	if ((v & 0xff) < 0xff)
		v++;
	sk->c[i] = v;
	if ((v & 0xff) >= admit_pkts)
		return ADMIT_HEAVY;
	st->refused++;
	return ADMIT_NO;
}

/* The lookup missed: may the source take a new entry? */
static __always_inline int admit_new(struct xg_admit_state *st, int how)
{
	if (!admit_budget || !st)
		return 1;
	if (how == ADMIT_HEAVY) {
		st->heavy++;
		return 1;
	}
	if (st->admitted < admit_budget) {
		st->admitted++;
		return 1;
	}
	st->refused++;
	return 0;
}

#endif /* XDPGUARD_ADMIT_H */
