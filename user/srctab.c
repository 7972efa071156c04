// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The source table mapped into user space. A BPF_F_MMAPABLE array's values
 * start at offset 0 of the mapping, each value_size bytes (a multiple of 8:
 * struct xg_src_bucket is 384), so bucket i is at i * 384.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>

#include "srctab.h"

static int copy_table(struct xg_srctab *t, int fd, __u32 nb)
{
	__u32 in = 0, out = 0, got = 0, count, *keys;
	bool first = true;
	int err = 0;

	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	t->b = calloc(nb, sizeof(*t->b));
	keys = calloc(nb, sizeof(*keys));
	if (!t->b || !keys)
		err = -ENOMEM;
	while (!err && got < nb) {
		count = nb - got < 4096 ? nb - got : 4096;
		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out,
					   keys + got, t->b + got, &count,
					   &opts);
		err = err ? -errno : 0;
		first = false;
		in = out;
		got += count;
		if (err == -ENOENT)
			err = 0;
		if (!count)
			break;
	}
	free(keys);
	if (err) {
		free(t->b);
		memset(t, 0, sizeof(*t));
		return err;
	}
	t->nb = nb;
	t->copy = true;
	return 0;
}

int xg_srctab_map(struct xg_srctab *t, int fd, bool rw)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	memset(t, 0, sizeof(*t));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_ARRAY ||
	    !(info.map_flags & BPF_F_MMAPABLE) ||
	    info.value_size != sizeof(struct xg_src_bucket) ||
	    !info.max_entries || (info.max_entries & (info.max_entries - 1)))
		return -EPROTO;
	t->len = (size_t)info.max_entries * sizeof(struct xg_src_bucket);
	t->len = (t->len + page - 1) / page * page;
	p = mmap(NULL, t->len, rw ? PROT_READ | PROT_WRITE : PROT_READ,
		 MAP_SHARED, fd, 0);
	if (p != MAP_FAILED) {
		t->b = p;
		t->nb = info.max_entries;
		return 0;
	}
	/*
	 * The kernel maps no read-only fd (BPF_F_RDONLY, what the listing
	 * verbs open): copy the table instead, a batch lookup of an array
	 * being a memcpy per batch.
	 */
	if (rw)
		return -errno;
	return copy_table(t, fd, info.max_entries);
}

void xg_srctab_unmap(struct xg_srctab *t)
{
	if (t->b && t->copy)
		free(t->b);
	else if (t->b)
		munmap(t->b, t->len);
	memset(t, 0, sizeof(*t));
}

__u32 xg_srctab_count(const struct xg_srctab *t)
{
	__u32 i, w, n = 0;

	for (i = 0; i < t->nb; i++)
		for (w = 0; w < XG_SRC_WAYS; w++)
			n += !!t->b[i].w[w].s.first_ns;
	return n;
}
