// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Map migration on upgrade. libbpf reuses a pinned map only when its
 * definition is identical; a new version with bigger maps (or a value with
 * a field added at its end) would otherwise fail to load, or, if the pins
 * were removed, start with no bans. Here such a map is created anew, filled
 * from the old one, and pinned in its place. Convention for the shared structs: fields are only ever
 * added at the end, so an old value is a prefix of the new one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "xdpguard.h"
#include "vgen.h"
#include "migrate.h"

#define BATCH 4096

void xg_migrate_values(const void *in, __u32 old_size, void *out,
		       __u32 new_size, bool percpu, int cpus, size_t n)
{
	size_t os = percpu ? (old_size + 7) / 8 * 8 : old_size;
	size_t ns = percpu ? (new_size + 7) / 8 * 8 : new_size;
	size_t cp = old_size < new_size ? old_size : new_size;
	size_t i, copies = n * (percpu && cpus > 0 ? (size_t)cpus : 1);

	for (i = 0; i < copies; i++) {
		memset((char *)out + i * ns, 0, ns);
		memcpy((char *)out + i * ns, (const char *)in + i * os, cp);
	}
}

static bool is_percpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/* Maps whose entries are bans: never shrunk below what they hold. */
static bool holds_bans(const char *name)
{
	return !strcmp(name, "bans") || !strcmp(name, "ban_prefixes") ||
	       !strcmp(name, "allow");
}

static __u32 count_entries(int fd, __u32 key_size)
{
	__u8 key[64], next[64];
	void *prev = NULL;
	__u32 n = 0;

	if (key_size > sizeof(key))
		return 0;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

int xg_migrate_prepare(struct bpf_object *obj, struct xg_migrate *mg)
{
	struct bpf_map *map;

	memset(mg, 0, sizeof(*mg));
	bpf_object__for_each_map(map, obj)
	{
		struct bpf_map_info info = {};
		__u32 len = sizeof(info), n;
		const char *path = bpf_map__pin_path(map);
		const char *name = bpf_map__name(map);
		struct xg_migration *m;
		int fd;

		if (!path || bpf_map__is_internal(map))
			continue;
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue; /* not pinned yet: created and pinned anew */
		if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			xg_err("cannot inspect the pinned map %s: %s", path,
			       strerror(errno));
			close(fd);
			goto fail;
		}
		if (info.type == bpf_map__type(map) &&
		    info.key_size == bpf_map__key_size(map) &&
		    info.value_size == bpf_map__value_size(map) &&
		    info.max_entries == bpf_map__max_entries(map) &&
		    info.map_flags == bpf_map__map_flags(map)) {
			close(fd);
			continue; /* libbpf reuses it as it is */
		}
		/*
		 * Counters only, placed by a hash of the table's size: a
		 * table of another size or layout is started anew (its
		 * sources are counted again from their next packet). So are
		 * the admission sketch, a few milliseconds of a flood's
		 * history, and the verdict cache, which refills from the
		 * lists on the next packet of each source.
		 */
		if (!strcmp(name, XG_MAP_SRC) ||
		    !strcmp(name, XG_MAP_ADMIT_SKETCH) ||
		    !strcmp(name, XG_MAP_VCACHE)) {
			close(fd);
			if (unlink(path)) {
				xg_err("cannot remove the old %s pin %s: %s",
				       name, path, strerror(errno));
				goto fail;
			}
			xg_info("%s: a table of another size or version, started anew",
				name);
			continue;
		}
		if (info.type != bpf_map__type(map) ||
		    info.key_size != bpf_map__key_size(map) ||
		    info.value_size > bpf_map__value_size(map)) {
			xg_err("the map %s pinned under %s comes from an incompatible version (its type, key or value changed); 'xdpguard detach' removes it, and what it holds",
			       name, xg_pin_dir());
			close(fd);
			goto fail;
		}
		if (info.max_entries > bpf_map__max_entries(map) &&
		    holds_bans(name) &&
		    (n = count_entries(fd, info.key_size)) >
			    bpf_map__max_entries(map)) {
			xg_err("%s holds %u entries, more than the %u asked for; raise its size (see 'xdpguard run --help')",
			       name, n, bpf_map__max_entries(map));
			close(fd);
			goto fail;
		}
		if (mg->n >= XG_MIGRATE_MAX) {
			close(fd);
			xg_err("too many maps to migrate");
			goto fail;
		}
		m = &mg->m[mg->n++];
		m->map = map;
		m->old_fd = fd;
		m->old_value_size = info.value_size;
		m->new_value_size = bpf_map__value_size(map);
		m->percpu = is_percpu(info.type);
		snprintf(m->pin, sizeof(m->pin), "%s", path);
		/* A new map, not the pinned one. */
		bpf_map__set_pin_path(map, NULL);
		xg_info("%s: migrating (%u -> %u entries, value %u -> %u bytes)",
			name, info.max_entries, bpf_map__max_entries(map),
			info.value_size, bpf_map__value_size(map));
	}
	return 0;
fail:
	xg_migrate_finish(mg);
	return -EINVAL;
}

/*
 * Copies every entry of m->old_fd into the new map; flags BPF_ANY the first
 * time, BPF_NOEXIST for the catch-up after attach. Returns the count.
 */
static long copy_map(struct xg_migration *m, __u64 flags)
{
	int ncpu = m->percpu ? libbpf_num_possible_cpus() : 1;
	__u32 ks = bpf_map__key_size(m->map), count, i;
	size_t os = m->percpu ? (m->old_value_size + 7) / 8 * 8 * ncpu :
				m->old_value_size;
	size_t ns = m->percpu ? (m->new_value_size + 7) / 8 * 8 * ncpu :
				m->new_value_size;
	int nfd = bpf_map__fd(m->map), err = 0;
	void *keys, *ov, *nv, *in = NULL, *out;
	bool first = true;
	long total = 0;

	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	keys = malloc((size_t)BATCH * ks);
	ov = malloc(BATCH * os);
	nv = malloc(BATCH * ns);
	out = malloc(ks);
	in = malloc(ks);
	if (!keys || !ov || !nv || !out || !in) {
		err = -ENOMEM;
		goto done;
	}
	for (;;) {
		count = BATCH;
		err = bpf_map_lookup_batch(m->old_fd, first ? NULL : in, out,
					   keys, ov, &count, &opts);
		err = err ? -errno : 0;
		if (err && err != -ENOENT)
			break;
		first = false;
		memcpy(in, out, ks);
		xg_migrate_values(ov, m->old_value_size, nv, m->new_value_size,
				  m->percpu, ncpu, count);
		for (i = 0; i < count; i++) {
			/* Array slots past the new size have nowhere to go. */
			if (bpf_map_update_elem(nfd, (char *)keys + i * ks,
						(char *)nv + i * ns, flags) &&
			    errno != EEXIST && errno != E2BIG)
				xg_warn("%s: an entry could not be moved: %s",
					bpf_map__name(m->map), strerror(errno));
			else
				total++;
		}
		if (err == -ENOENT) {
			err = 0;
			break;
		}
	}
done:
	free(keys);
	free(ov);
	free(nv);
	free(out);
	free(in);
	return err ? err : total;
}

int xg_migrate_copy(struct xg_migrate *mg)
{
	int i;

	for (i = 0; i < mg->n; i++) {
		struct xg_migration *m = &mg->m[i];
		long n = copy_map(m, BPF_ANY);

		if (n < 0) {
			xg_err("cannot migrate %s: %s", bpf_map__name(m->map),
			       xg_bpf_strerror(n));
			return n;
		}
		/*
		 * bpffs has no rename: the pin is replaced by unlink and pin.
		 * The attached program holds the old map, so enforcement goes
		 * on; only a CLI call in those microseconds finds no pin.
		 */
		unlink(m->pin);
		if (bpf_obj_pin(bpf_map__fd(m->map), m->pin)) {
			int err = -errno;

			xg_err("cannot pin the migrated %s at %s: %s",
			       bpf_map__name(m->map), m->pin, strerror(errno));
			if (bpf_obj_pin(m->old_fd, m->pin))
				xg_err("and cannot pin the old %s back: %s",
				       bpf_map__name(m->map), strerror(errno));
			return err;
		}
		xg_info("%s: migrated %ld entries", bpf_map__name(m->map), n);
	}
	if (mg->n)
		xg_verdicts_changed();
	return 0;
}

void xg_migrate_finish(struct xg_migrate *mg)
{
	int i;

	for (i = 0; i < mg->n; i++) {
		if (mg->m[i].old_fd < 0)
			continue;
		if (mg->m[i].map && bpf_map__fd(mg->m[i].map) >= 0)
			copy_map(&mg->m[i], BPF_NOEXIST);
		close(mg->m[i].old_fd);
		mg->m[i].old_fd = -1;
	}
	mg->n = 0;
}
