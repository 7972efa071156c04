// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Memory of every map, as the kernel accounts it (the "memlock" line of the
 * map's fdinfo), at the default sizes and at the largest ones the config
 * accepts. The largest would take gigabytes, so the object is loaded twice,
 * at the default sizes and at eight times them, and each map's memory is
 * extrapolated linearly (it is linear in max_entries: preallocated maps
 * account for every entry up front). Maps that allocate per entry (the
 * allowlist trie) are filled to measure their cost per entry.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"
#include "xdpguard.skel.h"

#define MAX_MAPS 24
#define SCALE 8

/* The largest sizes user/config.c accepts ([maps] *_max). */
static const struct {
	const char *name;
	__u64 max;
} limits[] = {
	{ "bans", 1 << 24 },
	{ "allow", 1 << 20 },
	{ "src_stats", (1 << 24) / XG_SRC_WAYS }, /* buckets of src_max slots */
	{ "dst_stats", 1 << 20 },
};

struct mapmem {
	char name[32];
	enum bpf_map_type type;
	__u32 entries, flags;
	double bytes;
};

static double memlock(int fd)
{
	char path[64], line[128];
	double v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %lf", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Fills the allowlist with n distinct /128s (it allocates per entry). */
static int fill_allow(int fd, __u32 n)
{
	struct xg_lpm_key k = { .prefixlen = 128 };
	struct xg_allow v = {};
	__u32 i;

	for (i = 0; i < n; i++) {
		k.a[0] = 0x20;
		k.a[1] = 0x01;
		memcpy(&k.a[12], &i, 4);
		if (bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST))
			return -errno;
	}
	return 0;
}

static int load_at(__u32 scale, struct mapmem *mm, int *n)
{
	struct xdpguard_bpf *skel = xdpguard_bpf__open();
	struct bpf_map *m;
	int err;

	if (!skel)
		return -errno;
	bpf_object__for_each_map(m, skel->obj)
	{
		/* Fixed-size arrays stay; the source table's size is config. */
		if (!bpf_map__is_internal(m) &&
		    ((bpf_map__type(m) != BPF_MAP_TYPE_PERCPU_ARRAY &&
		      bpf_map__type(m) != BPF_MAP_TYPE_ARRAY) ||
		     !strcmp(bpf_map__name(m), "src_stats")))
			bpf_map__set_max_entries(m, bpf_map__max_entries(m) *
							    scale);
	}
	err = xdpguard_bpf__load(skel);
	if (err) {
		xdpguard_bpf__destroy(skel);
		return err;
	}
	*n = 0;
	bpf_object__for_each_map(m, skel->obj)
	{
		struct mapmem *x = &mm[(*n)++];

		if (*n > MAX_MAPS)
			break;
		snprintf(x->name, sizeof(x->name), "%s", bpf_map__name(m));
		x->type = bpf_map__type(m);
		x->entries = bpf_map__max_entries(m);
		x->flags = bpf_map__map_flags(m);
		if (x->flags & BPF_F_NO_PREALLOC && m == skel->maps.allow) {
			/* Full, so that it shows what it can grow to. */
			err = fill_allow(bpf_map__fd(m), x->entries);
			if (err)
				break;
		}
		x->bytes = memlock(bpf_map__fd(m));
	}
	xdpguard_bpf__destroy(skel);
	return err;
}

static const char *type_name(enum bpf_map_type t)
{
	const char *s = libbpf_bpf_map_type_str(t);

	return s ? s : "?";
}

int bench_mem(int argc, char **argv)
{
	struct mapmem def[MAX_MAPS], big[MAX_MAPS];
	double total_def = 0, total_max = 0;
	int n, nb, i, j, err;
	char key[48], name[160];

	err = load_at(1, def, &n);
	err = err ?: load_at(SCALE, big, &nb);
	if (err || n != nb) {
		fprintf(stderr, "xg_bench mem: loading xdpguard: %s\n",
			strerror(-err));
		return 1;
	}
	for (i = 0; i < n; i++) {
		double per, maxb = def[i].bytes;
		__u64 max = def[i].entries;

		for (j = 0; j < (int)(sizeof(limits) / sizeof(limits[0])); j++)
			if (!strcmp(limits[j].name, def[i].name))
				max = limits[j].max;
		per = big[i].entries > def[i].entries ?
			      (big[i].bytes - def[i].bytes) /
				      (big[i].entries - def[i].entries) :
			      0;
		if (max != def[i].entries)
			maxb = def[i].bytes + per * (max - def[i].entries);
		total_def += def[i].bytes;
		total_max += maxb;
		snprintf(key, sizeof(key), "mem_%.31s", def[i].name);
		snprintf(name, sizeof(name), "%.31s (%s%s, %u entries)",
			 def[i].name, type_name(def[i].type),
			 def[i].flags & BPF_F_NO_PREALLOC ? ", full" : "",
			 def[i].entries);
		row(key, "memory", name, def[i].bytes / 1048576, "MiB",
		    "%.0f B/entry; at the max %llu entries: %.1f MiB", per,
		    (unsigned long long)max, maxb / 1048576);
	}
	row("mem_total", "memory", "all maps, default sizes",
	    total_def / 1048576, "MiB", "at the max sizes: %.0f MiB",
	    total_max / 1048576);
	return 0;
}
