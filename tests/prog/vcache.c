// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The verdict cache (bpf/vcache.h) and admission to the source table
 * (bpf/admit.h), on loads of their own. Each cache case runs frames in
 * steps, changing the maps between them: a cached verdict must hold while
 * the generation stands (which is what makes it a cache), and must go the
 * moment a writer bumps it or, for a ban, the moment the ban runs out.
 * BPF_PROG_TEST_RUN runs on the calling CPU, so every frame of a case meets
 * the same per-CPU cache.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "prog_test.h"
#include "xdpguard.skel.h"

#define SRC "10.7.7.7"
#define DST "192.0.2.1"

enum op {
	OP_END = 0,
	OP_RUN, /* a SYN from arg (or SRC); expect verdict */
	OP_BAN, /* exact ban of SRC for arg ms (0 = forever) */
	OP_UNBAN,
	OP_ALLOW, /* SRC/32 */
	OP_UNALLOW,
	OP_PREFIX, /* SRC's /24 banned, gate open */
	OP_BUMP,
	OP_SLEEP, /* arg ms */
};

struct step {
	enum op op;
	int arg; /* ms for BAN and SLEEP */
	int verdict; /* OP_RUN: XDP_PASS or XDP_DROP */
	__u32 slot; /* OP_RUN: the global_stats slot that must move */
	const char *src; /* OP_RUN: another source than SRC */
};

#define RUN(v, s)                         \
	{                                 \
		OP_RUN, 0, (v), (s), NULL \
	}
#define RUN_FROM(a, v, s)                \
	{                                \
		OP_RUN, 0, (v), (s), (a) \
	}
#define PASS_ RUN(XDP_PASS, XG_CNT_PASS)
#define ALLOWED_ RUN(XDP_PASS, XG_CNT_ALLOWED)
#define DROP_(r) RUN(XDP_DROP, XG_CNT_DROP_BASE + (r))
#define DO(o)                      \
	{                          \
		(o), 0, 0, 0, NULL \
	}
#define DO_ARG(o, a)                 \
	{                            \
		(o), (a), 0, 0, NULL \
	}

/* Filled in by run_vcache(): an address sharing SRC's cache slot. */
static char twin[64];

struct vc_case {
	const char *name;
	struct step steps[10];
};

static const struct vc_case vc_cases[] = {
	{ "a ban stays cached until the generation moves",
	  { DO_ARG(OP_BAN, 0), DO(OP_BUMP), DROP_(XG_REASON_MANUAL),
	    DO(OP_UNBAN), DROP_(XG_REASON_MANUAL), DO(OP_BUMP), PASS_ } },
	{ "a cached pass sees a new ban after the bump",
	  { PASS_, DO_ARG(OP_BAN, 0), PASS_, DO(OP_BUMP),
	    DROP_(XG_REASON_MANUAL) } },
	{ "a cached ban ends at its expiry without any bump",
	  { DO_ARG(OP_BAN, 40), DO(OP_BUMP), DROP_(XG_REASON_MANUAL),
	    DO_ARG(OP_SLEEP, 80), PASS_ } },
	{ "a cached pass sees a new allow entry after the bump",
	  { PASS_, DO(OP_ALLOW), DO(OP_BUMP), ALLOWED_ } },
	{ "a cached allow ends with its entry",
	  { DO(OP_ALLOW), DO(OP_BUMP), ALLOWED_, DO(OP_UNALLOW), DO(OP_BUMP),
	    PASS_ } },
	{ "a cached pass sees a new prefix ban after the bump",
	  { PASS_, DO(OP_PREFIX), DO(OP_BUMP), DROP_(XG_REASON_BLOCKLIST) } },
	{ "two sources in one slot each keep their own verdict",
	  { DO_ARG(OP_BAN, 0), DO(OP_BUMP), DROP_(XG_REASON_MANUAL),
	    RUN_FROM(twin, XDP_PASS, XG_CNT_PASS), DROP_(XG_REASON_MANUAL),
	    RUN_FROM(twin, XDP_PASS, XG_CNT_PASS) } },
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void key_of(const char *s, __u64 a[2])
{
	__u8 b[16] = {};

	addr_parse(s, b);
	memcpy(a, b, 16);
}

/* An IPv4 address other than SRC in SRC's cache slot. */
static void find_twin(void)
{
	__u64 a[2], b[2];
	__u32 i;

	key_of(SRC, a);
	for (i = 1; i < 1u << 24; i++) {
		snprintf(twin, sizeof(twin), "10.%u.%u.%u", i >> 16 & 255,
			 i >> 8 & 255, i & 255);
		key_of(twin, b);
		if ((b[0] != a[0] || b[1] != a[1]) &&
		    xg_vcache_index(b) == xg_vcache_index(a))
			return;
	}
	twin[0] = '\0';
}

static __u64 drops_and_passes(int fd_glob, __u32 slot)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	struct xg_counter v[ncpu];
	__u64 n = 0;

	if (bpf_map_lookup_elem(fd_glob, &slot, v))
		return 0;
	for (c = 0; c < ncpu; c++)
		n += v[c].pkts;
	return n;
}

static int run_one(int fd_prog, int fd_glob, const struct step *st)
{
	struct pkt p = { .src = st->src ?: SRC,
			 .dst = DST,
			 .proto = 6,
			 .flags = F_SYN,
			 .sport = 40000,
			 .dport = 80 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .repeat = 1);
	struct frame f;
	__u64 before;

	if (pkt_build(&p, &f))
		return -EINVAL;
	o.data_in = f.b;
	o.data_size_in = f.len;
	before = drops_and_passes(fd_glob, st->slot);
	if (bpf_prog_test_run_opts(fd_prog, &o))
		return -errno;
	if ((int)o.retval != st->verdict)
		fail("%s: verdict %u, expected %d", p.src, o.retval,
		     st->verdict);
	if (drops_and_passes(fd_glob, st->slot) != before + 1)
		fail("%s: global_stats slot %u did not move", p.src, st->slot);
	return 0;
}

static int apply(struct xdpguard_bpf *skel, const struct step *st)
{
	struct xg_lpm_key k = { .prefixlen = 128 };
	struct xg_addr a = {};
	struct xg_allow al = {};
	__u32 zero = 0;
	int err = 0;

	addr_parse(SRC, a.a);
	memcpy(k.a, a.a, 16);
	switch (st->op) {
	case OP_BAN: {
		struct xg_ban b = { .created_ns = mono_ns(),
				    .reason = XG_REASON_MANUAL };

		if (st->arg)
			b.expires_ns = mono_ns() + st->arg * 1000000ULL;
		err = bpf_map_update_elem(bpf_map__fd(skel->maps.bans), &a, &b,
					  BPF_ANY);
		break;
	}
	case OP_UNBAN:
		err = bpf_map_delete_elem(bpf_map__fd(skel->maps.bans), &a);
		break;
	case OP_ALLOW:
		err = bpf_map_update_elem(bpf_map__fd(skel->maps.allow), &k,
					  &al, BPF_ANY);
		break;
	case OP_UNALLOW:
		err = bpf_map_delete_elem(bpf_map__fd(skel->maps.allow), &k);
		break;
	case OP_PREFIX: {
		struct xg_prefix_ban pb = {
			.ban = { .reason = XG_REASON_BLOCKLIST },
			.prefixlen = 96 + 24,
			.owners = 2,
		};
		struct xg_meta m = { .prefix_entries = 1 };

		k.prefixlen = 96 + 24;
		err = bpf_map_update_elem(bpf_map__fd(skel->maps.ban_prefixes), &k, &pb, BPF_ANY) ?:
			      bpf_map_update_elem(bpf_map__fd(skel->maps.meta),
						  &zero, &m, BPF_ANY);
		break;
	}
	case OP_BUMP:
		return bump_gen(bpf_map__fd(skel->maps.verdict_gen));
	case OP_SLEEP: {
		struct timespec ts = { 0, st->arg * 1000000L };

		nanosleep(&ts, NULL);
		break;
	}
	default:
		break;
	}
	return err ? -errno : 0;
}

static void run_case(const struct vc_case *c)
{
	struct xdpguard_bpf *skel = xdpguard_bpf__open_and_load();
	int fd_prog, fd_glob, i, err = 0;

	if (!skel) {
		fail("cannot load the object: %s", strerror(errno));
		return;
	}
	fd_prog = bpf_program__fd(skel->progs.xdpguard_prog);
	fd_glob = bpf_map__fd(skel->maps.global_stats);
	for (i = 0; !err && c->steps[i].op != OP_END; i++) {
		if (c->steps[i].op == OP_RUN)
			err = run_one(fd_prog, fd_glob, &c->steps[i]);
		else
			err = apply(skel, &c->steps[i]);
		if (err)
			fail("step %d: %s", i + 1, strerror(-err));
	}
	xdpguard_bpf__destroy(skel);
}

void run_vcache(void)
{
	char name[128];
	size_t i;

	find_twin();
	for (i = 0; i < sizeof(vc_cases) / sizeof(vc_cases[0]); i++) {
		if (!twin[0])
			fail("no address shares %s's cache slot", SRC);
		else
			run_case(&vc_cases[i]);
		snprintf(name, sizeof(name), "verdict cache: %s",
			 vc_cases[i].name);
		report(name, NULL);
	}
}

/*
 * Admission: a budget of BUDGET new sources per CPU and window, then ADMIT
 * sightings in a row in the source's admission sketch slot to earn an
 * entry. A case starts at least 50 ms before a budget window (2^30 ns)
 * ends, and the process stays on one CPU (prog_test.c), so every frame
 * meets the same per-CPU budget and sketch.
 */
#define BUDGET 2
#define ADMIT 4
/* The object's own src_seed, which src_find() assumes too. */
#define SEED 0ULL

static int src_entries(int fd_src, const char *s, __u64 *pkts)
{
	struct xg_src_stats v;
	struct xg_addr a = {};

	addr_parse(s, a.a);
	*pkts = 0;
	if (src_find(fd_src, a.a, &v) != 1)
		return 0;
	*pkts = v.pkts;
	return 1;
}

/* Totals over CPUs of admit_state: refused packets, heavy admissions. */
static void admit_totals(int fd_st, __u64 *refused, __u64 *heavy)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	struct xg_admit_state v[ncpu];
	__u32 zero = 0;

	*refused = *heavy = 0;
	if (bpf_map_lookup_elem(fd_st, &zero, v))
		return;
	for (c = 0; c < ncpu; c++) {
		*refused += v[c].refused;
		*heavy += v[c].heavy;
	}
}

static __u64 refused(int fd_st)
{
	__u64 r, h;

	admit_totals(fd_st, &r, &h);
	return r;
}

struct admit_run {
	struct xdpguard_bpf *skel;
	int fd_prog, fd_glob, fd_src, fd_st;
};

static int admit_load(struct admit_run *r, __u32 budget)
{
	const __u64 win = 1ULL << 30, margin = 50000000;

	r->skel = xdpguard_bpf__open();
	if (!r->skel) {
		fail("cannot open the object: %s", strerror(errno));
		return -1;
	}
	r->skel->rodata->admit_budget = budget;
	r->skel->rodata->admit_pkts = ADMIT;
	if (xdpguard_bpf__load(r->skel)) {
		fail("cannot load the object: %s", strerror(errno));
		xdpguard_bpf__destroy(r->skel);
		return -1;
	}
	r->fd_prog = bpf_program__fd(r->skel->progs.xdpguard_prog);
	r->fd_glob = bpf_map__fd(r->skel->maps.global_stats);
	r->fd_src = bpf_map__fd(r->skel->maps.src_stats);
	r->fd_st = bpf_map__fd(r->skel->maps.admit_state);
	if (win - (coarse_ns() & (win - 1)) < margin) {
		struct timespec ts = { 0, 2 * margin };

		nanosleep(&ts, NULL);
	}
	return 0;
}

static int send_from(struct admit_run *r, const char *src)
{
	struct step st = PASS_;

	st.src = src;
	return run_one(r->fd_prog, r->fd_glob, &st);
}

/* Spends this window's budget on sources of 10.8.1.0/24. */
static int spend_budget(struct admit_run *r)
{
	char a[32];
	int i;

	for (i = 0; i < BUDGET; i++) {
		snprintf(a, sizeof(a), "10.8.1.%d", i + 1);
		if (send_from(r, a))
			return -1;
	}
	return 0;
}

static void admit_once(__u32 budget)
{
	const char *srcs[] = { "10.8.0.1", "10.8.0.2", "10.8.0.3" };
	struct admit_run r;
	__u64 pkts = 0;
	int i;

	if (admit_load(&r, budget))
		return;
	/* Three new sources, one packet each. */
	for (i = 0; i < 3; i++)
		if (send_from(&r, srcs[i]))
			goto out;
	for (i = 0; i < 3; i++) {
		int want = !budget || i < (int)budget;

		if (src_entries(r.fd_src, srcs[i], &pkts) != want)
			fail("%s: %s an entry, expected %s", srcs[i],
			     want ? "has not" : "has", want ? "one" : "none");
	}
	if (budget && refused(r.fd_st) != 1)
		fail("admit_state.refused: %llu, expected 1",
		     (unsigned long long)refused(r.fd_st));
	/* The third keeps sending: its ADMIT-th packet earns the entry. */
	for (i = 2; budget && i <= ADMIT; i++) {
		if (send_from(&r, srcs[2]))
			goto out;
		if (src_entries(r.fd_src, srcs[2], &pkts) != (i == ADMIT))
			fail("%s after %d packets: %s", srcs[2], i,
			     i == ADMIT ? "no entry" : "an entry already");
	}
	if (budget && pkts != 1)
		fail("%s: %llu packets counted since admission, expected 1",
		     srcs[2], (unsigned long long)pkts);
out:
	xdpguard_bpf__destroy(r.skel);
}

static __u64 admit_hash(const char *s)
{
	__u64 a[2];

	key_of(s, a);
	return xg_src_hash(a, SEED);
}

/*
 * n addresses of 10.64.0.0/10 in s's sketch slot, each with a fingerprint
 * of its own (out: n strings of 32 bytes).
 */
static int sketch_twins(const char *s, char (*out)[32], int n)
{
	__u64 h = admit_hash(s), t;
	int found = 0, j;
	__u32 i;

	for (i = 0; i < 1u << 22 && found < n; i++) {
		snprintf(out[found], 32, "10.%u.%u.%u", 64 + (i >> 16),
			 i >> 8 & 255, i & 255);
		t = admit_hash(out[found]);
		if (xg_admit_slot(t) != xg_admit_slot(h) ||
		    xg_admit_fp(t) == xg_admit_fp(h))
			continue;
		for (j = 0; j < found; j++)
			if (xg_admit_fp(admit_hash(out[j])) == xg_admit_fp(t))
				break;
		if (j == found)
			found++;
	}
	if (found < n)
		fail("only %d addresses of 10.64.0.0/10 share %s's sketch slot",
		     found, s);
	return found < n ? -1 : 0;
}

/* Sends n packets from src, then checks whether it has an entry. */
static int admit_step(struct admit_run *r, const char *src, int n, int want,
		      const char *when)
{
	__u64 pkts;

	while (n-- > 0)
		if (send_from(r, src))
			return -1;
	if (src_entries(r->fd_src, src, &pkts) != want)
		fail("%s %s: %s", src, when, want ? "no entry" : "an entry");
	return 0;
}

/*
 * A flood of one-packet sources, more than the sketch has slots: none may
 * be admitted past the budget, however many share a slot.
 */
#define FORGED 40000

static void admit_forged(void)
{
	__u64 ref, heavy;
	struct admit_run r;
	char a[32], same[ADMIT * 2][32];
	int i;

	if (sketch_twins("10.8.0.9", same, ADMIT * 2))
		return;
	if (admit_load(&r, BUDGET) || spend_budget(&r))
		goto out;
	for (i = 0; i < FORGED; i++) {
		snprintf(a, sizeof(a), "10.%d.%d.%d", 16 + (i >> 16),
			 i >> 8 & 255, i & 255);
		if (send_from(&r, a))
			goto out;
	}
	/* And ADMIT * 2 in one slot, in a row: they must not add up. */
	for (i = 0; i < ADMIT * 2; i++)
		if (admit_step(&r, same[i], 1, 0,
			       "(sharing a slot) after 1 packet"))
			goto out;
	admit_totals(r.fd_st, &ref, &heavy);
	if (heavy)
		fail("%llu of %d one-packet sources admitted past the budget",
		     (unsigned long long)heavy, FORGED);
	/* A new budget window admits BUDGET more: allowed for. */
	if (ref < FORGED + ADMIT * 2 - BUDGET)
		fail("admit_state.refused: %llu, expected at least %d",
		     (unsigned long long)ref, FORGED + ADMIT * 2 - BUDGET);
out:
	xdpguard_bpf__destroy(r.skel);
}

/*
 * Sharing a slot: a source seen once takes over a slot that holds a single
 * sighting, but only takes one sighting off a source seen more often.
 */
static void admit_shared_slot(void)
{
	const char *rep = "10.8.0.7", *once = "10.8.0.8";
	char twin_rep[1][32], twin_once[1][32];
	struct admit_run r;

	if (sketch_twins(rep, twin_rep, 1) ||
	    sketch_twins(once, twin_once, 1) || admit_load(&r, BUDGET) ||
	    spend_budget(&r))
		return;
	if (admit_step(&r, rep, ADMIT - 1, 0, "after ADMIT-1 packets") ||
	    admit_step(&r, twin_rep[0], 1, 0,
		       "(the newcomer) after 1 packet") ||
	    admit_step(&r, rep, 1, 0, "after losing a sighting, 1 more") ||
	    admit_step(&r, rep, 1, 1, "after losing a sighting, 2 more"))
		goto out;
	/* A single sighting is taken over: the newcomer counts from 1. */
	if (admit_step(&r, once, 1, 0, "after 1 packet") ||
	    admit_step(&r, twin_once[0], ADMIT - 1, 0,
		       "(taking over) after ADMIT-1 packets") ||
	    admit_step(&r, twin_once[0], 1, 1,
		       "(taking over) after ADMIT packets"))
		goto out;
out:
	xdpguard_bpf__destroy(r.skel);
}

void run_admit(void)
{
	static const struct {
		const char *name;
		__u32 budget;
	} cases[] = {
		{ "over budget, a new source needs its packets", BUDGET },
		{ "budget 0 admits every source", 0 },
	};
	char name[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		admit_once(cases[i].budget);
		snprintf(name, sizeof(name), "admission: %s", cases[i].name);
		report(name, NULL);
	}
	admit_forged();
	report("admission: 40000 one-packet sources, none admitted past the budget, not even 8 in one sketch slot",
	       NULL);
	admit_shared_slot();
	report("admission: a one-packet source cannot push a repeater out of its sketch slot",
	       NULL);
}
