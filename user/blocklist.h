/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Reading blocklist files in the formats people have: one address or CIDR
 * a line with '#' or ';' comments (FireHOL .netset, Spamhaus DROP/EDROP,
 * plain lists), Spamhaus' JSON-lines DROP, and `ipset save` output.
 * Pure: no maps, so every format is unit-tested from memory.
 */
#ifndef XG_BLOCKLIST_H
#define XG_BLOCKLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "xdpguard.h"

/* Longest line read; a longer one is a bad line, not a crash. */
#define XG_BLOCKLIST_LINE_MAX 4096

struct xg_blocklist {
	struct xg_lpm_key *keys; /* sorted (xg_lpm_key_cmp), no duplicates */
	size_t n, cap;
	unsigned long lines; /* lines read */
	unsigned long bad; /* lines refused */
	unsigned long dups; /* entries listed more than once */
};

/* Called for each refused line: file name, line number (from 1), reason. */
typedef void (*xg_bad_line_fn)(const char *file, unsigned long line,
			       const char *why, void *ctx);

/*
 * One line, modified in place. Returns 0 and *k for an entry, 1 for a line
 * with nothing to load (blank, comment, ipset "create", JSON metadata), or
 * -EINVAL with *why (a static or per-thread string) for a bad line.
 */
int xg_blocklist_line(char *line, struct xg_lpm_key *k, const char **why);

/*
 * Reads every line of f (name is used in reports only). Bad lines are
 * counted in bl->bad and reported through fn; the caller decides whether
 * a list with bad lines is used. Returns 0, or -errno for a read error or
 * no memory.
 */
int xg_blocklist_read(FILE *f, const char *name, struct xg_blocklist *bl,
		      xg_bad_line_fn fn, void *ctx);
/* Opens path and reads it; reports an unopenable file itself. */
int xg_blocklist_load(const char *path, struct xg_blocklist *bl,
		      xg_bad_line_fn fn, void *ctx);
void xg_blocklist_free(struct xg_blocklist *bl);

/*
 * True for an IPv6 prefix shorter than /96 that covers the IPv4-mapped range
 * ::ffff:0:0/96 (::/0, ::/8, ...): in xdpguard's one address space it would
 * ban all of IPv4 as well, which no IPv6 list means.
 */
bool xg_prefix_covers_v4(const struct xg_lpm_key *k);

#endif /* XG_BLOCKLIST_H */
