/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Prefix bans in the ban_prefixes trie, the blocklist sources that own some
 * of them, and the meta element that gates the datapath's trie lookup.
 * Shared by the CLI, the importer and the daemon.
 */
#ifndef XG_PREFIXES_H
#define XG_PREFIXES_H

#include <stdbool.h>
#include <stddef.h>
#include "xdpguard.h"

/* The map fds the list code works on (pinned maps or a skeleton's). */
struct xg_lists {
	int bans;
	int prefixes;
	int sources;
	int meta;
	int allow; /* saved with the bans; -1 = leave it out */
};

struct xg_prefix_entry {
	struct xg_lpm_key key;
	struct xg_prefix_ban v;
};

/* Later of two expiries, 0 (never) being the latest. */
__u64 xg_expiry_later(__u64 a, __u64 b);

/*
 * Recomputes v->ban from v->owners (pure): the latest expiry of the own ban
 * and of each owning source; the own ban's reason, repeat and creation when
 * it has one, else XG_REASON_BLOCKLIST, repeat 0 and the earliest import.
 */
void xg_prefix_merge(struct xg_prefix_ban *v,
		     const struct xg_source src[XG_SOURCES_MAX]);

/*
 * Drops the owners of v that are gone at now: an expired own ban, a source
 * that expired or whose slot is free. Returns true if owners changed; v->ban
 * is then merged again.
 */
bool xg_prefix_expire(struct xg_prefix_ban *v,
		      const struct xg_source src[XG_SOURCES_MAX], __u64 now);

/* k cut to its first len bits (host bits cleared) into out. */
void xg_prefix_mask(const struct xg_lpm_key *k, __u32 len,
		    struct xg_lpm_key *out);

/* Key order for sorted tables: address bytes, then prefix length. */
int xg_lpm_key_cmp(const void *a, const void *b);

/*
 * One lock serialises the read-modify-write of prefix entries, sources and
 * meta between the daemon, the CLI and imports: a flock on a file in /run
 * named after the pin directory. Returns the lock fd, or -EWOULDBLOCK (not
 * wait) or another -errno.
 */
int xg_lists_lock(bool wait);
void xg_lists_unlock(int fd);

int xg_sources_read(int fd, struct xg_source src[XG_SOURCES_MAX]);
int xg_meta_read(int fd, struct xg_meta *m);

/* What xg_meta_update() does, in one read-modify-write. */
#define XG_META_CHANGED 0x1 /* changes++ */
#define XG_META_PREFIXES 0x2 /* prefix_changes++ and changes++ */
#define XG_META_FULL_BANS 0x4 /* full_bans++ */
#define XG_META_FULL_PREFIXES 0x8 /* full_prefixes++ */
#define XG_META_SET_ENTRIES 0x10 /* prefix_entries = entries (else += it) */
/*
 * With the lists lock held. entries moves prefix_entries (never below 0);
 * *before (may be NULL) gets prefix_changes as it was.
 */
int xg_meta_update(int fd, unsigned int ops, long long entries, __u64 *before);
/* The same for a caller without the lock: takes it around the update. */
int xg_meta_note(int fd, unsigned int ops);

/* Every entry of the trie, in key order; caller frees *out. */
int xg_prefix_dump(int fd, struct xg_prefix_entry **out, size_t *n);

struct xg_sweeper;

/*
 * A ban of its own on prefix k, kept beside any blocklist owning it;
 * ttl_ns 0 = never. -ENOSPC when the trie is full (counted in meta). The
 * daemon passes its sweeper (else NULL) so its own bans cost no full pass.
 */
int xg_prefix_ban(const struct xg_lists *l, const struct xg_lpm_key *k,
		  __u64 ttl_ns, __u32 reason, __u32 repeat,
		  struct xg_sweeper *sw);
/* The same with absolute CLOCK_MONOTONIC times (expires 0 = never). */
int xg_prefix_restore(const struct xg_lists *l, const struct xg_lpm_key *k,
		      __u64 created_ns, __u64 expires_ns, __u32 reason,
		      __u32 repeat, struct xg_sweeper *sw);
/*
 * Lifts the own ban on k. *owners gets the owners left (blocklists that
 * still list k); -ENOENT when k had no ban of its own.
 */
int xg_prefix_unban(const struct xg_lists *l, const struct xg_lpm_key *k,
		    __u32 *owners);
/*
 * The most specific live prefix ban covering a, as the datapath finds it:
 * 0 and *out, or -ENOENT.
 */
int xg_prefix_match(int fd, const struct xg_addr *a, __u64 now,
		    struct xg_prefix_entry *out);

/*
 * Reported by the sweep: an own prefix ban that expired (source NULL), or a
 * blocklist whose expiry came (k NULL).
 */
typedef void (*xg_prefix_unban_fn)(const struct xg_lpm_key *k,
				   const struct xg_prefix_ban *old,
				   const char *source, void *ctx);

struct xg_sweep_item {
	struct xg_lpm_key key;
	__u64 expires_ns;
};

/*
 * Incremental sweeping for the daemon: a full pass over the trie only when
 * somebody else changed the lists (meta.prefix_changes moved) or a
 * blocklist is due to expire; otherwise only the own bans whose expiry has
 * come are looked at, so a million imported prefixes cost nothing per poll.
 */
struct xg_sweeper {
	__u64 seen; /* meta.prefix_changes at the last pass */
	bool scanned;
	__u64 src_due; /* earliest source expiry; 0 = none */
	struct xg_sweep_item *due; /* own bans with an expiry */
	size_t ndue, capdue;
	size_t entries; /* trie entries at the last pass */
};

/* Returns the number of prefix bans lifted, or -errno. */
int xg_prefix_sweep(const struct xg_lists *l, struct xg_sweeper *s, __u64 now,
		    xg_prefix_unban_fn fn, void *ctx);
void xg_sweeper_free(struct xg_sweeper *s);

/* "manual, drop.txt, firehol_level1": who owns a prefix ban. */
const char *xg_owner_names(const struct xg_prefix_ban *v,
			   const struct xg_source src[XG_SOURCES_MAX],
			   char *buf, size_t len);

#endif /* XG_PREFIXES_H */
