/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The verdict table's row types, shared by the tables and the runner. */
#ifndef XG_PROG_TEST_H
#define XG_PROG_TEST_H

#include <linux/bpf.h>
#include <linux/types.h>

#include "xdpguard.h"
#include "frames.h"

enum ban_kind {
	NO_BAN = 0,
	BAN_LIVE, /* expires 60 s from now */
	BAN_EXPIRED, /* expired 60 s ago */
	BAN_FOREVER, /* expires_ns 0 */
};

/* A prefix ban in the ban_prefixes trie (owned by XG_OWNER_DIRECT). */
struct pre_prefix {
	const char *prefix; /* "10.0.0.0/8", "2001:db8:1::/64"; NULL = none */
	int kind; /* enum ban_kind */
	__u32 reason;
};

#define PRE_PREFIXES 3

/* Map state written before the frame runs; every map starts empty. */
struct pre {
	int ban; /* enum ban_kind */
	__u32 reason; /* enum xg_reason of that ban */
	const char *ban_addr; /* banned address; NULL = the frame's source */
	const char *
		allow; /* allowlisted prefix, "10.0.0.0/8" or "2001:db8::/64" */
	struct pre_prefix pfx[PRE_PREFIXES];
	/*
	 * Write the prefixes but leave meta.prefix_entries at 0, as no user
	 * space writer ever does: shows that the gate alone decides the lookup.
	 */
	int gate_off;
};

/*
 * What the program must do with the frame. Exactly one global_stats slot
 * moves, by one packet and the frame's length. A counted source has one
 * src_stats entry of one packet and the frame's length; an uncounted one
 * leaves src_stats empty. dst_stats stays empty unless a SYN or echo count
 * is expected for the destination.
 */
struct expect {
	int verdict; /* XDP_PASS or XDP_DROP */
	__u32 slot; /* enum xg_counter_idx */
	int counted;
	__u32 syns, icmp_echo, udp;
	__u16 tcp_port, udp_port; /* the one sketch bit set; 0 = none */
	__u64 dst_syns, dst_echo;
};

struct row {
	const char *name;
	struct pkt pkt;
	struct pre pre;
	struct expect exp;
	/*
	 * A known bug in the program: the row states the right behaviour and
	 * reports a failure as TAP TODO, which does not fail the run.
	 */
	const char *todo;
};

/* A full frame whose every shorter prefix is run too. */
struct sweep {
	const char *name;
	struct pkt pkt;
	struct expect full; /* for prefixes that cut only the payload */
};

/* One "# ..." line for the current test, which then fails. */
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Ends the current test: TAP "ok" unless fail() was called. */
void report(const char *name, const char *todo);
/* The port-scan fast path, each case on a load of its own (scan_trip.c). */
void run_scan_trip(void);
/* The verdict cache and admission to the source table (vcache.c). */
void run_vcache(void);
void run_admit(void);
/* Drop samples and their budget (samples.c). */
void run_samples(void);
/* CLOCK_MONOTONIC_COARSE, the clock the program reads, in ns. */
__u64 coarse_ns(void);
/* Bumps the verdict generation, as user space does after a list change. */
int bump_gen(int fd_gen);
/*
 * The source table (src_stats) of a program loaded with seed 0 (the
 * skeleton's default): the used slots' count, and a's counters in *out (1
 * if a has a slot). src_clear() frees every slot.
 */
int src_lookup(int fd, const __u8 a[16], struct xg_src_stats *out, int *count);
int src_clear(int fd);
/* The same for a alone, its bucket only (fast: no scan). */
int src_find(int fd, const __u8 a[16], struct xg_src_stats *out);

extern const struct row rows[];
extern const int n_rows;
extern const struct sweep sweeps[];
extern const int n_sweeps;

#endif /* XG_PROG_TEST_H */
