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

#define BATCH 4096

static int open_pin(const char *name, int *fd, bool ro)
{
	LIBBPF_OPTS(bpf_obj_get_opts, opts,
		    .file_flags = ro ? BPF_F_RDONLY : 0);
	char path[256];
	int err;

	err = xg_pin_path(path, sizeof(path), name);
	if (err) {
		xg_err("pin path under %s is too long", xg_pin_dir());
		return err;
	}
	*fd = bpf_obj_get_opts(path, &opts);
	if (*fd >= 0)
		return 0;
	err = -errno;
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
	if (!xg_pin_path(path, sizeof(path), XG_MAP_ADMIT_STATE)) {
		LIBBPF_OPTS(bpf_obj_get_opts, opts,
			    .file_flags = ro ? BPF_F_RDONLY : 0);

		m->admit = bpf_obj_get_opts(path, &opts);
		if (m->admit < 0)
			m->admit = -1;
	}
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

/* Merges per-CPU copies; sk (may be NULL) gets this window's sketches. */
static void merge_src(const struct xg_src_stats *pcpu, int ncpus, __u32 epoch,
		      struct xg_src_sample *out, struct xg_src_sketch *sk)
{
	__u64 tcp[XG_PORT_WORDS] = {}, udp[XG_PORT_WORDS] = {};
	int c, w;

	memset(out, 0, sizeof(*out));
	for (c = 0; c < ncpus; c++) {
		const struct xg_src_stats *s = &pcpu[c];

		if (!s->pkts)
			continue;
		out->pkts += s->pkts;
		out->bytes += s->bytes;
		out->syns += s->syns;
		out->icmp_echo += s->icmp_echo;
		out->udp += s->udp;
		if (!out->first_ns ||
		    (s->first_ns && s->first_ns < out->first_ns))
			out->first_ns = s->first_ns;
		if (s->last_ns > out->last_ns)
			out->last_ns = s->last_ns;
		/* Only this window's sketches: older ones are history. */
		if (s->port_epoch != epoch)
			continue;
		for (w = 0; w < XG_PORT_WORDS; w++) {
			tcp[w] |= s->tcp_ports[w];
			udp[w] |= s->udp_ports[w];
		}
	}
	out->tcp_ports = xg_ports_estimate(tcp);
	out->udp_ports = xg_ports_estimate(udp);
	if (sk) {
		memcpy(sk->tcp, tcp, sizeof(tcp));
		memcpy(sk->udp, udp, sizeof(udp));
	}
}

void xg_merge_src(const struct xg_src_stats *pcpu, int ncpus, __u32 epoch,
		  struct xg_src_sample *out)
{
	merge_src(pcpu, ncpus, epoch, out, NULL);
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

/* Room for at least want samples (and sketches), keeping what is there. */
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
 * One batch of keys and per-CPU values at a time, merged straight into the
 * samples: the values of a whole table (ncpus * 112 B per source) are never
 * held at once, and the batch buffer stays in cache.
 */
int xg_src_reader_read(struct xg_src_reader *r, int fd, __u32 port_shift,
		       bool sketches, size_t *n)
{
	int ncpus = libbpf_num_possible_cpus();
	size_t vsize = sizeof(struct xg_src_stats) * ncpus, got = 0, i;
	__u32 epoch = xg_mono_ns() >> port_shift, in = 0, out = 0, count;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	bool first = true;
	int err = 0;

	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	if (ncpus < 1)
		return ncpus ? ncpus : -EINVAL;
	if (!r->kbuf)
		r->kbuf = calloc(BATCH, sizeof(*r->kbuf));
	if (!r->vbuf)
		r->vbuf = calloc(BATCH, vsize);
	if (!r->kbuf || !r->vbuf)
		return -ENOMEM;
	/* A full table (a flood) then needs no realloc copies. */
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		err = reader_grow(r, info.max_entries + BATCH, sketches);
	while (!err) {
		count = BATCH;
		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out,
					   r->kbuf, r->vbuf, &count, &opts);
		err = err ? -errno : 0;
		first = false;
		in = out;
		if (err && err != -ENOENT)
			break;
		if (reader_grow(r, got + count, sketches)) {
			err = -ENOMEM;
			break;
		}
		for (i = 0; i < count; i++, got++) {
			merge_src((struct xg_src_stats *)((char *)r->vbuf +
							  i * vsize),
				  ncpus, epoch, &r->src[got],
				  sketches ? &r->sk[got] : NULL);
			r->src[got].addr = r->kbuf[i];
		}
		if (err == -ENOENT) {
			err = 0;
			break;
		}
	}
	if (err) {
		xg_err("cannot read map: %s", xg_bpf_strerror(err));
		return err;
	}
	*n = got;
	return 0;
}

void xg_src_reader_free(struct xg_src_reader *r)
{
	free(r->src);
	free(r->sk);
	free(r->kbuf);
	free(r->vbuf);
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

int xg_src_expire(int fd, const struct xg_src_sample *src, size_t n,
		  __u64 idle_before)
{
	struct xg_addr keys[BATCH];
	int gone = 0;
	size_t i;
	__u32 k = 0;

	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	for (i = 0; i <= n; i++) {
		if (i < n && src[i].last_ns && src[i].last_ns < idle_before)
			keys[k++] = src[i].addr;
		if (k && (k == BATCH || i == n)) {
			__u32 cnt = k;

			/*
			 * ENOENT: a key went meanwhile (LRU); the batch stops
			 * there, so delete the rest one by one.
			 */
			if (bpf_map_delete_batch(fd, keys, &cnt, &opts)) {
				__u32 j;

				for (j = cnt; j < k; j++)
					cnt += !bpf_map_delete_elem(fd,
								    &keys[j]);
			}
			gone += cnt;
			k = 0;
		}
	}
	return gone;
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
