/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Loading a blocklist into the prefix trie as one source, atomically. */
#ifndef XG_IMPORT_H
#define XG_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include "prefixes.h"

struct xg_blocklist;

struct xg_import_opts {
	const char *name; /* the source; a new import of it replaces it */
	const char *note; /* --reason TEXT; may be NULL */
	__u64 expires_ns; /* CLOCK_MONOTONIC; 0 = never */
	__u64 created_ns; /* 0 = now (a restore passes the saved time) */
};

struct xg_import_result {
	int slot;
	size_t total; /* prefixes the list has now */
	size_t added; /* entries new to the trie */
	size_t dropped; /* prefixes of the previous import not listed any more */
	size_t entries, max_entries; /* the trie afterwards */
};

/*
 * Checks a source name: 1-63 characters of [A-Za-z0-9._+@-], not starting
 * with '.' (it names a file of the state directory). 0 or -EINVAL, *why.
 */
int xg_source_name_check(const char *name, const char **why);
/* The slot of a source by name, or -1. */
int xg_source_find(const struct xg_source src[XG_SOURCES_MAX],
		   const char *name);

/*
 * Makes keys (sorted, unique) the whole content of source o->name: new and
 * changed entries are written first, then the prefixes the source no longer
 * lists are released, so every prefix in either the old or the new list is
 * enforced throughout. On failure (trie full, no free source slot) nothing
 * is left changed. Reports its errors.
 */
int xg_import_apply(const struct xg_lists *l, const struct xg_import_opts *o,
		    const struct xg_lpm_key *keys, size_t n,
		    struct xg_import_result *r);
/* Releases every prefix of a source and frees its slot; -ENOENT if none. */
int xg_import_remove(const struct xg_lists *l, const char *name,
		     struct xg_import_result *r);

/*
 * Loads a blocklist file for import: reports each bad line as FILE:LINE
 * (the first 20), and refuses a file with bad lines unless skip_bad, or
 * one with no entry at all. Every refusal is reported.
 */
int xg_blocklist_load_checked(const char *path, bool skip_bad,
			      struct xg_blocklist *bl);
/* The source name: name, or the file's base name; checked and reported. */
int xg_source_name_of(const char *path, const char *name, char *buf,
		      size_t len);

#endif /* XG_IMPORT_H */
