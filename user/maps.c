// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Reads the pinned maps. Per-CPU values are sized by the number of possible
 * CPUs (not online ones: that is what the kernel copies out), and whole
 * tables are read with the batch API, one syscall per few thousand entries.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "maps.h"
#include "srctab.h"

#define BATCH 4096

/* fd of the pinned map name, or -errno; prints nothing. */
static int get_pin(const char *name, bool ro, char *path, size_t len)
{
	LIBBPF_OPTS(bpf_obj_get_opts, opts,
		    .file_flags = ro ? BPF_F_RDONLY : 0);
	int err = xg_pin_path(path, len, name), fd;

	if (err)
		return err;
	fd = bpf_obj_get_opts(path, &opts);
	return fd >= 0 ? fd : -errno;
}

static int open_pin(const char *name, int *fd, bool ro)
{
	char path[256];
	int err;

	*fd = get_pin(name, ro, path, sizeof(path));
	if (*fd >= 0)
		return 0;
	err = *fd;
	*fd = -1;
	if (err == -ENAMETOOLONG) {
		xg_err("pin path under %s is too long", xg_pin_dir());
		return err;
	}
	if (err == -ENOENT)
		xg_err("xdpguard is not loaded: no %s pinned under %s (start it with 'xdpguard run -i IFACE')",
		       name, xg_pin_dir());
	else if (err == -EACCES)
		/* File permissions of the pin (or its directory), not bpf(). */
		xg_err("cannot open %s for %s: permission denied (run as root, or give this user %s access to the pins: see 'Least privilege' in the README)",
		       path, ro ? "reading" : "writing", ro ? "read" : "write");
	else
		xg_err("cannot open %s: %s", path, xg_bpf_strerror(err));
	return err;
}

static int maps_open(struct xg_maps *m, bool ro)
{
	char path[256];
	int err;

	m->bans = m->allow = m->src = m->dst = m->global = -1;
	m->prefixes = m->sources = m->meta = m->admit = -1;
	if ((err = open_pin(XG_MAP_BANS, &m->bans, ro)) ||
	    (err = open_pin(XG_MAP_ALLOW, &m->allow, ro)) ||
	    (err = open_pin(XG_MAP_SRC, &m->src, ro)) ||
	    (err = open_pin(XG_MAP_DST, &m->dst, ro)) ||
	    (err = open_pin(XG_MAP_GLOBAL, &m->global, ro)) ||
	    (err = open_pin(XG_MAP_PREFIXES, &m->prefixes, ro)) ||
	    (err = open_pin(XG_MAP_SOURCES, &m->sources, ro)) ||
	    (err = open_pin(XG_MAP_META, &m->meta, ro))) {
		xg_maps_close(m);
		return err;
	}
	/* Optional: only what status and metrics show comes from it. */
	m->admit = get_pin(XG_MAP_ADMIT_STATE, ro, path, sizeof(path));
	if (m->admit < 0)
		m->admit = -1;
	return 0;
}

int xg_maps_open(struct xg_maps *m)
{
	return maps_open(m, false);
}

int xg_maps_open_ro(struct xg_maps *m)
{
	return maps_open(m, true);
}

void xg_maps_close(struct xg_maps *m)
{
	int *fds[] = { &m->bans,    &m->allow,	&m->src,
		       &m->dst,	    &m->global, &m->prefixes,
		       &m->sources, &m->meta,	&m->admit };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int xg_read_admit(int fd, struct xg_admit_totals *out)
{
	int ncpus = libbpf_num_possible_cpus(), c, err = 0;
	struct xg_admit_state *v;
	__u32 zero = 0;

	memset(out, 0, sizeof(*out));
	if (ncpus < 0)
		return ncpus;
	v = calloc(ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &zero, v))
		err = -errno;
	for (c = 0; !err && c < ncpus; c++) {
		out->heavy += v[c].heavy;
		out->refused += v[c].refused;
	}
	free(v);
	return err;
}

int xg_read_counters(int fd, struct xg_counter out[XG_CNT__MAX])
{
	int ncpus = libbpf_num_possible_cpus();
	struct xg_counter *v;
	__u32 i;
	int c;

	if (ncpus < 0)
		return ncpus;
	v = calloc(ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	memset(out, 0, sizeof(*out) * XG_CNT__MAX);
	for (i = 0; i < XG_CNT__MAX; i++) {
		if (bpf_map_lookup_elem(fd, &i, v)) {
			int err = -errno;

			xg_err("cannot read global counters: %s",
			       xg_bpf_strerror(err));
			free(v);
			return err;
		}
		for (c = 0; c < ncpus; c++) {
			out[i].pkts += v[c].pkts;
			out[i].bytes += v[c].bytes;
		}
	}
	free(v);
	return 0;
}

/*
 * One slot as a sample; sk (may be NULL) gets its sketches. Only this port
 * window's sketches count: older ones are history and read as no ports.
 */
static void slot_sample(const struct xg_src_slot *sl, __u32 epoch,
			struct xg_src_sample *out, struct xg_src_sketch *sk)
{
	static const __u64 none[XG_PORT_WORDS];
	const struct xg_src_stats *s = &sl->s;
	bool cur = s->port_epoch == epoch;
	const __u64 *tcp = cur ? s->tcp_ports : none;
	const __u64 *udp = cur ? s->udp_ports : none;

	memcpy(out->addr.a, sl->key, sizeof(out->addr.a));
	out->pkts = s->pkts;
	out->bytes = s->bytes;
	out->syns = s->syns;
	out->icmp_echo = s->icmp_echo;
	out->udp = s->udp;
	out->first_ns = s->first_ns;
	out->last_ns = s->last_ns;
	out->tcp_ports = xg_ports_estimate(tcp);
	out->udp_ports = xg_ports_estimate(udp);
	if (sk) {
		memcpy(sk->tcp, tcp, sizeof(sk->tcp));
		memcpy(sk->udp, udp, sizeof(sk->udp));
	}
}

int xg_map_dump(int fd, size_t ksize, size_t vsize, void **keys, void **vals,
		size_t *n)
{
	struct bpf_map_info info = {};
	/* The batch token: a u32 for hash maps, a key for generic ones. */
	__u8 in[64], out[64];
	__u32 count, len = sizeof(info);
	size_t cap, got = 0;
	void *k = NULL, *v = NULL;
	bool first = true;
	int err = 0;

	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	if (ksize > sizeof(in))
		return -EINVAL;
	/*
	 * Room for a preallocated map whole: a full table (a flood) then
	 * costs no realloc copies. Maps that allocate per entry (tries) grow
	 * as they are read. calloc(): fresh pages come zeroed for free, and
	 * memory checkers that do not know what the kernel writes here
	 * (valgrind) see defined bytes.
	 */
	cap = !bpf_obj_get_info_by_fd(fd, &info, &len) &&
			      !(info.map_flags & BPF_F_NO_PREALLOC) ?
		      info.max_entries :
		      0;
	cap += BATCH;
	k = calloc(cap, ksize);
	v = calloc(cap, vsize);
	if (!k || !v)
		err = -ENOMEM;
	while (!err) {
		if (got + BATCH > cap) {
			void *nk, *nv;

			cap = cap * 2 + BATCH;
			nk = realloc(k, cap * ksize);
			if (nk)
				k = nk;
			nv = realloc(v, cap * vsize);
			if (nv)
				v = nv;
			if (!nk || !nv) {
				err = -ENOMEM;
				break;
			}
		}
		count = BATCH;
		err = bpf_map_lookup_batch(
			fd, first ? NULL : in, out, (char *)k + got * ksize,
			(char *)v + got * vsize, &count, &opts);
		err = err ? -errno : 0;
		got += count;
		first = false;
		memcpy(in, out, sizeof(in));
		if (err == -ENOENT) {
			err = 0;
			break;
		}
	}
	if (err) {
		free(k);
		free(v);
		return err;
	}
	*keys = k;
	*vals = v;
	*n = got;
	return 0;
}

static int dump_map(int fd, size_t vsize, void **keys, void **vals, size_t *n)
{
	int err = xg_map_dump(fd, sizeof(struct xg_addr), vsize, keys, vals, n);

	if (err)
		xg_err("cannot read map: %s", xg_bpf_strerror(err));
	return err;
}

int xg_read_sources(int fd, __u32 port_shift, struct xg_src_sample **out,
		    size_t *n)
{
	return xg_read_sources_sk(fd, port_shift, out, NULL, n);
}

int xg_read_sources_sk(int fd, __u32 port_shift, struct xg_src_sample **out,
		       struct xg_src_sketch **sk, size_t *n)
{
	struct xg_src_reader r = {};
	int err = xg_src_reader_read(&r, fd, port_shift, sk != NULL, n);

	if (err) {
		xg_src_reader_free(&r);
		return err;
	}
	*out = r.src;
	if (sk)
		*sk = r.sk;
	r.src = NULL;
	r.sk = NULL;
	xg_src_reader_free(&r);
	return 0;
}

/* Room for at least want samples, keeping what is there. */
static int reader_grow(struct xg_src_reader *r, size_t want, bool sketches)
{
	size_t cap = r->cap;
	void *p;

	if (want <= cap && (!sketches || r->sk))
		return 0;
	if (want > cap)
		cap = want + want / 2;
	p = realloc(r->src, cap * sizeof(*r->src));
	if (!p)
		return -ENOMEM;
	r->src = p;
	p = realloc(r->slot, cap * sizeof(*r->slot));
	if (!p)
		return -ENOMEM;
	r->slot = p;
	if (sketches) {
		p = realloc(r->sk, cap * sizeof(*r->sk));
		if (!p)
			return -ENOMEM;
		r->sk = p;
	}
	r->cap = cap;
	return 0;
}

/*
 * A sequential pass over the mapped table. A slot the kernel is claiming
 * meanwhile may read torn (the old address with new counters): it is one
 * poll's reading of one source, and the detector takes a changed first_ns
 * or counters that went back as a new entry.
 */
int xg_src_reader_read(struct xg_src_reader *r, int fd, __u32 port_shift,
		       bool sketches, size_t *n)
{
	__u32 epoch = xg_mono_ns() >> port_shift, i, w;
	size_t got = 0;
	int err;

	if (!r->tab.b || r->fd != fd) {
		xg_srctab_unmap(&r->tab);
		err = xg_srctab_map(&r->tab, fd, r->rw);
		if (err) {
			xg_err("cannot map the source table: %s",
			       err == -EPROTO ?
				       "not a table of this version (see 'xdpguard detach')" :
				       xg_bpf_strerror(err));
			return err;
		}
		r->fd = fd;
	}
	for (i = 0; i < r->tab.nb; i++) {
		struct xg_src_bucket *bk = &r->tab.b[i];

		for (w = 0; w < XG_SRC_WAYS; w++) {
			struct xg_src_slot *sl = &bk->w[w];

			if (!sl->s.first_ns)
				continue;
			if (got >= r->cap &&
			    reader_grow(r, got + 1024, sketches))
				return -ENOMEM;
			slot_sample(sl, epoch, &r->src[got],
				    sketches ? &r->sk[got] : NULL);
			r->slot[got++] = sl;
		}
	}
	if (sketches && reader_grow(r, got, sketches))
		return -ENOMEM;
	r->n = got;
	*n = got;
	return 0;
}

int xg_src_expire(struct xg_src_reader *r, __u64 idle_before)
{
	int gone = 0;
	size_t i;

	if (!r->rw)
		return -EPERM;
	for (i = 0; i < r->n; i++) {
		struct xg_src_slot *sl = r->slot[i];
		const struct xg_src_sample *x = &r->src[i];

		if (!x->last_ns || x->last_ns >= idle_before)
			continue;
		/* Still that source, still idle: not one the kernel reused. */
		if (memcmp(sl->key, x->addr.a, sizeof(sl->key)) ||
		    sl->s.last_ns >= idle_before)
			continue;
		sl->s.first_ns = 0;
		gone++;
	}
	return gone;
}

void xg_src_reader_free(struct xg_src_reader *r)
{
	free(r->src);
	free(r->sk);
	free(r->slot);
	xg_srctab_unmap(&r->tab);
	memset(r, 0, sizeof(*r));
}

int xg_read_dsts(int fd, struct xg_dst_sample **out, size_t *n)
{
	int ncpus = libbpf_num_possible_cpus();
	size_t vsize = sizeof(struct xg_dst_stats) * ncpus, i, cnt;
	struct xg_dst_sample *res;
	struct xg_dst_stats *v;
	struct xg_addr *keys;
	void *vals;
	int err, c;

	err = dump_map(fd, vsize, (void **)&keys, &vals, &cnt);
	if (err)
		return err;
	res = calloc(cnt ? cnt : 1, sizeof(*res));
	if (!res) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (i = 0; i < cnt; i++) {
		v = (struct xg_dst_stats *)((char *)vals + i * vsize);
		res[i].addr = keys[i];
		for (c = 0; c < ncpus; c++) {
			res[i].syns += v[c].syns;
			res[i].icmp_echo += v[c].icmp_echo;
		}
	}
	free(keys);
	free(vals);
	*out = res;
	*n = cnt;
	return 0;
}

int xg_map_fill(int fd, __u32 *entries, __u32 *max_entries)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), cnt = 0;
	__u8 key[sizeof(struct xg_lpm_key)], next[sizeof(struct xg_lpm_key)];
	void *prev = NULL;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*max_entries = info.max_entries;
	if (info.type == BPF_MAP_TYPE_ARRAY ||
	    info.type == BPF_MAP_TYPE_PERCPU_ARRAY) {
		*entries = info.max_entries;
		return 0;
	}
	if (info.key_size > sizeof(key))
		return -EINVAL;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, info.key_size);
		prev = key;
		if (++cnt > info.max_entries)
			break;
	}
	*entries = cnt;
	return 0;
}
