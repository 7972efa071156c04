/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The state file: every live ban (remaining time in wall-clock terms,
 * reason, repeat count), every prefix ban of its own, every loaded
 * blocklist and the allowlist, so that they survive a reboot (the pinned maps survive
 * everything else). JSON (json-c); each blocklist's prefixes go to a file
 * of their own beside it, written once per import.
 */
#ifndef XG_STATE_H
#define XG_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include "prefixes.h"

#define XG_STATE_VERSION 1

/* A list file written before: reused while the list is not re-imported. */
struct xg_saved_list {
	char name[XG_SOURCE_NAME_LEN];
	__u64 loaded_ns;
	char file[XG_SOURCE_NAME_LEN + 32];
	char hash[20];
	size_t count;
};

/*
 * What the saver remembers between saves (zeroed before the first), so a
 * save reads the trie only when it changed and rewrites no list file.
 */
struct xg_state_saver {
	__u64 prefix_changes; /* meta.prefix_changes at the cached snapshot */
	bool have_prefixes;
	struct xg_prefix_entry *direct; /* own prefix bans at that time */
	size_t ndirect;
	struct xg_saved_list lists[XG_SOURCES_MAX];
};

struct xg_state_counts {
	size_t bans, prefix_bans, lists, list_prefixes, allows;
	size_t expired; /* saved, but their time ran out meanwhile */
};

/*
 * Writes the maps' bans to path atomically: a temporary file, fsync,
 * rename, fsync of the directory; list files first, then the state that
 * names them, then the list files nothing names any more. Reports errors.
 */
int xg_state_save(const char *path, const struct xg_lists *l,
		  struct xg_state_saver *sv, struct xg_state_counts *cnt);

/*
 * Restores path into (empty) maps. -ENOENT when there is no state file.
 * A file that does not check out in every detail is restored not at all:
 * it is renamed to path.corrupt-<unix time>, *aside gets that name, and
 * -EBADMSG is returned with *why saying what is wrong. Expired bans are
 * counted, not restored.
 */
int xg_state_load(const char *path, const struct xg_lists *l,
		  struct xg_state_counts *cnt, char *aside, size_t aside_len,
		  char *why, size_t why_len);

void xg_state_saver_free(struct xg_state_saver *sv);

/*
 * The default state file: /var/lib/xdpguard/state.json for the default pin
 * directory, state-<pin dir name>.json for another one, so that instances
 * (and tests) never share one.
 */
void xg_state_default_path(char *buf, size_t len);

#endif /* XG_STATE_H */
