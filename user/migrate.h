/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Moving pinned maps to a new definition (another size, or a value that
 * grew at its end) when a new program is loaded, without losing an entry
 * and without a moment in which the attached program's bans are missing.
 */
#ifndef XG_MIGRATE_H
#define XG_MIGRATE_H

#include <stdbool.h>
#include <linux/types.h>

#define XG_MIGRATE_MAX 16

struct bpf_object;
struct bpf_map;

struct xg_migration {
	struct bpf_map *map; /* the new map, created by this load */
	int old_fd; /* the pinned map it replaces */
	char pin[256];
	__u32 old_value_size, new_value_size;
	bool percpu;
};

struct xg_migrate {
	struct xg_migration m[XG_MIGRATE_MAX];
	int n;
};

/*
 * Before load. For every map whose pin holds another definition, drops the
 * pin path so that the load creates a new map, and remembers the old one.
 * Refuses (and reports) what cannot be moved without loss: another map
 * type or key size, a value that shrank, or fewer slots than the entries a
 * ban map holds. Nothing is changed then.
 */
int xg_migrate_prepare(struct bpf_object *obj, struct xg_migrate *mg);

/*
 * After load, before attach: copies every entry of each old map into its
 * new map (values that grew are zero-filled at their end) and pins the new
 * map in place of the old one. The old program keeps its old maps until
 * the attach replaces it.
 */
int xg_migrate_copy(struct xg_migrate *mg);

/*
 * After attach: copies what reached an old map since xg_migrate_copy (a
 * CLI ban in between), without overwriting, and lets the old maps go.
 */
void xg_migrate_finish(struct xg_migrate *mg);

/*
 * Converts n values of old_size to new_size (> old_size: the tail zeroed);
 * for per-CPU maps cpus copies each, each rounded up to 8 bytes as the
 * kernel lays them out in batch and lookup buffers. Pure; for tests.
 */
void xg_migrate_values(const void *in, __u32 old_size, void *out,
		       __u32 new_size, bool percpu, int cpus, size_t n);

#endif /* XG_MIGRATE_H */
