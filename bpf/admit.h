/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Admission to the source table. A spoofed flood makes every packet a new
 * source: each one then costs a bucket read in a table of 12 MiB (a cache
 * and TLB miss, ~100-300 ns on this project's VMs) and the eviction of a
 * real source's slot, for sources that never send twice. So each CPU may
 * add at most admit_budget new sources per window of 2^30 ns (1.07 s),
 * enough for any real population of clients. Once that is spent, the CPU is
 * under pressure until the window ends: a source whose verdict was not
 * cached (a new one, or one pushed out of the cache) must first be seen
 * admit_pkts times in a row in its slot of a per-CPU sketch before it is
 * looked up at all.
 *
 * A slot holds one source's fingerprint and count. Another source landing
 * on it takes it over if it holds a single sighting, else takes one off
 * the count: a forged source is seen once and so cannot displace a source
 * that has shown it repeats. Counts, not timestamps, so there is no rate a
 * source must reach: it must only come back before the flood has hit its
 * slot more often than it has (tests/live/flood.sh: a 50 probes/s scan in
 * a ~350 kpps flood is banned within 1.2 s of its first probe); forged
 * sources earn none (only a 39-bit hash collision could make one look
 * like a repeat). A count-per-window sketch cannot do
 * this: its counters add up the forged sources that share them, so its
 * threshold had to sit above what a flood piles up (12 packets in
 * 16.8 ms), and slow scanners never reached it. Refused packets still pass,
 * still count per destination (the spoofed-flood alarm), and are counted in
 * admit_state.refused.
 */
#ifndef XDPGUARD_ADMIT_H
#define XDPGUARD_ADMIT_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "xdpguard.h"

#define ADMIT_WIN_SHIFT 30
/* A per-CPU array value is at most 32 KiB: the sketch is 4 of them. */
#define ADMIT_PART_BITS 13
#define ADMIT_PART_SLOTS (1u << ADMIT_PART_BITS)
#define ADMIT_PARTS (1u << (XG_ADMIT_SLOT_BITS - ADMIT_PART_BITS))

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
	__u32 c[ADMIT_PART_SLOTS]; /* fingerprint << 8 | sightings (<= 255) */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct admit_sketch);
	__uint(max_entries, ADMIT_PARTS);
} admit_sketch SEC(".maps");

enum admit_verdict {
	ADMIT_NO = 0, /* under pressure and light: keep out */
	ADMIT_BUDGET, /* look up; a new entry takes from the budget */
	ADMIT_HEAVY, /* under pressure but heavy: look up, add if new */
};

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

/* Before the lookup of a source (hash h) whose verdict was not cached. */
static __always_inline int admit_check(struct xg_admit_state *st, __u64 h)
{
	__u32 slot = xg_admit_slot(h), part = slot >> ADMIT_PART_BITS;
	__u32 fp = xg_admit_fp(h), v, n = 0;
	struct admit_sketch *sk;

	if (!admit_budget || !st || st->admitted < admit_budget)
		return ADMIT_BUDGET;
	sk = bpf_map_lookup_elem(&admit_sketch, &part);
	if (!sk)
		return ADMIT_BUDGET;
	slot &= ADMIT_PART_SLOTS - 1;
	v = sk->c[slot];
	if (v >> 8 == fp) {
		n = v & 0xff;
		if (n < 0xff)
			n++;
		v = fp << 8 | n;
	} else if ((v & 0xff) > 1) {
		v--; /* a proven repeater loses one sighting, keeps its slot */
	} else {
		n = 1;
		v = fp << 8 | 1;
	}
	sk->c[slot] = v;
	if (n >= admit_pkts)
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
