/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Access to the pinned maps: open them, and read counters out of them. */
#ifndef XG_MAPS_H
#define XG_MAPS_H

#include <stddef.h>
#include "xdpguard.h"
#include "detect.h"
#include "srctab.h"

struct xg_maps {
	int bans;
	int allow;
	int src;
	int dst;
	int global;
	int prefixes;
	int sources;
	int meta;
	int admit; /* -1 if not pinned (pins of an older version) */
};

/* Opens every pinned map; a missing pin dir means xdpguard is not loaded. */
int xg_maps_open(struct xg_maps *m);
/*
 * The same, read-only (BPF_F_RDONLY): what the listing verbs need, so that
 * a user with read access to the pins can run them without any capability.
 */
int xg_maps_open_ro(struct xg_maps *m);
void xg_maps_close(struct xg_maps *m);

/* Admission to the source table (bpf/admit.h), summed over CPUs. */
struct xg_admit_totals {
	__u64 heavy; /* entries admitted over budget by their packet rate */
	__u64 refused; /* packets of new sources kept out of the table */
};
int xg_read_admit(int fd, struct xg_admit_totals *out);

/* Global counters summed over all possible CPUs. */
int xg_read_counters(int fd, struct xg_counter out[XG_CNT__MAX]);

/*
 * Every tracked source, per-CPU copies merged. port_shift is the kernel's
 * port window (bpf_ktime_get_ns() >> port_shift): sketches of older windows
 * are stale and read as zero ports. Caller frees *out.
 */
int xg_read_sources(int fd, __u32 port_shift, struct xg_src_sample **out,
		    size_t *n);
/* The same, and each source's port sketches of this window (in *sk). */
struct xg_src_sketch {
	__u64 tcp[XG_PORT_WORDS];
	__u64 udp[XG_PORT_WORDS];
};
int xg_read_sources_sk(int fd, __u32 port_shift, struct xg_src_sample **out,
		       struct xg_src_sketch **sk, size_t *n);
int xg_read_dsts(int fd, struct xg_dst_sample **out, size_t *n);

/*
 * The same read with buffers and the table's mapping kept from one call to
 * the next: the daemon reads its whole table every tick. Zero-initialise
 * (set rw for a mapping xg_src_expire() can write); after a successful
 * read, src[0..*n) (and sk[], if sketches) are valid until the next read or
 * xg_src_reader_free().
 */
struct xg_src_reader {
	struct xg_src_sample *src;
	struct xg_src_sketch *sk;
	struct xg_src_slot **slot; /* where src[i] was read */
	size_t cap, n;
	struct xg_srctab tab;
	int fd; /* tab's map */
	bool rw;
};
int xg_src_reader_read(struct xg_src_reader *r, int fd, __u32 port_shift,
		       bool sketches, size_t *n);
/*
 * Frees the slots of the sources of the last read idle since before
 * idle_before (monotonic ns of their last packet): nobody else frees a slot,
 * so after a spoofed flood the table would stay full, and the kernel would
 * hand every new source the slot of a real one. Returns how many went.
 */
int xg_src_expire(struct xg_src_reader *r, __u64 idle_before);
void xg_src_reader_free(struct xg_src_reader *r);

/*
 * Reads a whole map, keys and values (per-CPU values: vsize covers every
 * CPU), with the batch API: one syscall per few thousand entries. *keys
 * and *vals are malloc'd; returns 0 or -errno, and prints nothing.
 */
int xg_map_dump(int fd, size_t ksize, size_t vsize, void **keys, void **vals,
		size_t *n);

/* Number of entries and capacity of a map, for fill levels. */
int xg_map_fill(int fd, __u32 *entries, __u32 *max_entries);

#endif /* XG_MAPS_H */
