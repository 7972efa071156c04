/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The verdict cache: a small per-CPU, direct-mapped table of the last
 * verdict reached for a source (allowed, banned until T, or to be counted),
 * so that a source seen again skips the allowlist trie, the ban hash and the
 * prefix trie: on a busy link most packets come from a few sources, and a
 * flood from one banned source is the case that must cost the least.
 *
 * A slot is valid only while the generation it was filled under is current.
 * Every writer of allow, bans or ban_prefixes bumps verdict_gen after its
 * write (user space through an mmap of the map, atomically; this program
 * after its own scan ban), so a cached verdict never outlives a change of
 * the lists. The generation is read before the lookups that fill a slot:
 * a write racing with them bumps it again afterwards, and the slot is then
 * stale on its next use. A cached ban still carries its own expiry, which
 * is checked on every hit, since nobody writes when a ban runs out.
 */
#ifndef XDPGUARD_VCACHE_H
#define XDPGUARD_VCACHE_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "xdpguard.h"

enum vc_verdict {
	VC_EMPTY = 0, /* a zeroed slot never matches */
	VC_ALLOW, /* allowlisted: pass, uncounted */
	VC_BAN, /* banned until expires_ns (0 = forever) for reason */
	VC_COUNT, /* neither: count and pass */
};

/*
 * 32 bytes, so two to a cache line and none across two (at 48, every
 * other slot straddled a line). gen keeps the low 32 bits of verdict_gen:
 * a stale slot would need exactly 2^32 list writes since it was filled.
 */
struct vc_slot {
	__u64 a[2]; /* the source, as its 16-byte key */
	__u64 expires_ns;
	__u32 gen;
	__u16 verdict; /* enum vc_verdict */
	__u16 reason;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct vc_slot);
	__uint(max_entries, XG_VCACHE_SLOTS);
} vcache SEC(".maps");

/* One u64, shared by every CPU and process (see include/xdpguard.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
} verdict_gen SEC(".maps");

/* This CPU's slot for the source; NULL only if the verifier insists. */
static __always_inline struct vc_slot *vc_slot(const __u64 a[2])
{
	__u32 i = xg_vcache_index(a);

	return bpf_map_lookup_elem(&vcache, &i);
}

static __always_inline __u64 vc_gen(void)
{
	__u32 zero = 0;
	__u64 *g = bpf_map_lookup_elem(&verdict_gen, &zero);

	return g ? *g : 0;
}

/* A list changed under this program's own hand (its scan ban). */
static __always_inline void vc_bump(void)
{
	__u32 zero = 0;
	__u64 *g = bpf_map_lookup_elem(&verdict_gen, &zero);

	if (g)
		__sync_fetch_and_add(g, 1);
}

static __always_inline void vc_fill(struct vc_slot *s, const __u64 a[2],
				    __u64 gen, __u32 verdict, __u64 expires_ns,
				    __u32 reason)
{
	if (!s)
		return;
	s->a[0] = a[0];
	s->a[1] = a[1];
	s->gen = (__u32)gen;
	s->verdict = verdict;
	s->expires_ns = expires_ns;
	s->reason = reason;
}

#endif /* XDPGUARD_VCACHE_H */
