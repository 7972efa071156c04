// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Per-packet cost through BPF_PROG_TEST_RUN: the kernel runs the program
 * `repeat` times on one frame and reports the mean time per run. Every
 * subject is timed once per round, rounds interleave the subjects (so a
 * burst of load from elsewhere hits all of them alike), and each row is the
 * median over the rounds, printed with its ratio to the empty program.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"
#include "common.h"
#include "frames.h"
#include "srctab.h"
#include "xdpguard.skel.h"

#define REPEAT 1000000
#define MAX_ROUNDS 15
#define XDPFILT_DIR "/usr/lib/x86_64-linux-gnu/bpf"
#define MAP_FLAG_SRC 1 /* xdp-filter's common_kern_user.h */
#define N_BANS 10000
#define N_PREFIXES 100000 /* prefix bans (hook below) */

struct subject {
	const char *key, *name;
	int prog_fd;
	__u8 frame[FRAME_MAX];
	size_t len;
	__u32 repeat;
	int minus; /* index of a subject whose time is subtracted, or -1 */
	int expect; /* verdict it must return */
	double ns[MAX_ROUNDS];
	const char *skip; /* why it is not measured */
};

static struct subject subj[24];
static int nsubj;

static struct subject *add(const char *key, const char *name, int fd,
			   const char *src, __u8 flags, int expect)
{
	struct subject *s = &subj[nsubj++];

	s->key = key;
	s->name = name;
	s->prog_fd = fd;
	s->len = frame_tcp4(s->frame, src, "10.77.0.1", flags);
	s->repeat = REPEAT;
	s->minus = -1;
	s->expect = expect;
	return s;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Mean ns per run of one BPF_PROG_TEST_RUN; -1 on error. */
static double time_run(struct subject *s)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = s->frame,
		    .data_size_in = s->len, .repeat = s->repeat);

	if (bpf_prog_test_run_opts(s->prog_fd, &o)) {
		fprintf(stderr, "xg_bench: test run of %s: %s\n", s->name,
			strerror(errno));
		return -1;
	}
	if (o.retval != (__u32)s->expect) {
		fprintf(stderr, "xg_bench: %s returned %u, expected %d\n",
			s->name, o.retval, s->expect);
		return -1;
	}
	return o.duration;
}

static void addr16(const char *s, struct xg_addr *a)
{
	addr_parse(s, a->a);
}

/* Per-CPU values need one copy per possible CPU, all alike here. */
static int update_all_cpus(int fd, const void *key, const void *val,
			   size_t vsize)
{
	int ncpu = libbpf_num_possible_cpus(), c, err;
	char *buf = calloc(ncpu, vsize);

	if (!buf)
		return -ENOMEM;
	for (c = 0; c < ncpu; c++)
		memcpy(buf + c * vsize, val, vsize);
	err = bpf_map_update_elem(fd, key, buf, BPF_ANY) ? -errno : 0;
	free(buf);
	return err;
}

/* Fills a map of 16-byte address keys with n zero values, from base up. */
static int fill_addrs(int fd, __u32 base, __u32 n, size_t vsize, int percpu)
{
	int ncpu = percpu ? libbpf_num_possible_cpus() : 1;
	size_t chunk = 8192, i, k;
	struct xg_addr *keys = calloc(chunk, sizeof(*keys));
	char *vals = calloc(chunk, vsize * ncpu);
	int err = 0;

	LIBBPF_OPTS(bpf_map_batch_opts, o);
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n && !err; i += chunk) {
		__u32 cnt = n - i < chunk ? n - i : chunk;

		for (k = 0; k < cnt; k++) {
			__u32 v4 = htonl(base + i + k);

			keys[k].a[10] = keys[k].a[11] = 0xff;
			memcpy(&keys[k].a[12], &v4, 4);
		}
		if (bpf_map_update_batch(fd, keys, vals, &cnt, &o))
			err = -errno;
	}
out:
	free(keys);
	free(vals);
	return err;
}

/*
 * Every slot of the source table taken, by base, base + 1, ... each seen
 * now: a new source then evicts one of them.
 */
static int fill_sources(int fd, __u32 base)
{
	struct xg_srctab t;
	__u64 now = xg_mono_ns();
	__u32 i, w, n = 0;
	int err = xg_srctab_map(&t, fd, true);

	if (err)
		return err;
	for (i = 0; i < t.nb; i++)
		for (w = 0; w < XG_SRC_WAYS; w++) {
			struct xg_src_slot *sl = &t.b[i].w[w];
			struct xg_addr a = {};
			__u32 v4 = htonl(base + n++);

			a.a[10] = a.a[11] = 0xff;
			memcpy(&a.a[12], &v4, 4);
			memcpy(sl->key, a.a, sizeof(sl->key));
			sl->s.pkts = 1;
			sl->s.first_ns = sl->s.last_ns = now;
		}
	xg_srctab_unmap(&t);
	return 0;
}

/*
 * Prefix bans: the ban_prefixes trie gets N_PREFIXES IPv4 /24s, one of
 * them holding the frame's source, and the gate is opened.
 */
static int prefix_bans(struct xdpguard_bpf *skel, const char *src)
{
	struct xg_prefix_ban pb = { .ban = { .reason = XG_REASON_BLOCKLIST },
				    .prefixlen = 96 + 24 };
	struct xg_lpm_key k = { .prefixlen = 96 + 24 };
	struct xg_meta meta = { .prefix_entries = N_PREFIXES };
	int fd = bpf_map__fd(skel->maps.ban_prefixes);
	__u32 i, v4, zero = 0;

	addr_parse(src, k.a);
	if (bpf_map_update_elem(fd, &k, &pb, BPF_ANY))
		return -errno;
	/* The others: 172.16.0.0/24 and up, never the frame's source. */
	for (i = 1; i < N_PREFIXES; i++) {
		v4 = htonl(0xac100000 + (i << 8));
		memcpy(&k.a[12], &v4, 4);
		if (bpf_map_update_elem(fd, &k, &pb, BPF_ANY))
			return -errno;
	}
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.meta), &zero, &meta,
				BPF_ANY))
		return -errno;
	return 0;
}

/*
 * xdpguard with its maps set up: 192.0.2.0/24 allowlisted, 10.1.0.1 and
 * 10.64.0.0 up banned (N_BANS in all), the source table full of others.
 * admit_budget 0 loads it without admission control, for comparison.
 */
static struct xdpguard_bpf *load_xdpguard(int admit)
{
	struct xdpguard_bpf *skel = xdpguard_bpf__open();
	struct xg_lpm_key lk = { .prefixlen = 96 + 24 };
	struct xg_allow allow = { .created_ns = mono_ns() };
	struct xg_ban ban = { .created_ns = mono_ns(),
			      .expires_ns = mono_ns() + 3600 * 1000000000ULL,
			      .reason = XG_REASON_MANUAL };
	struct xg_addr a;
	int err;

	if (!skel) {
		fprintf(stderr, "xg_bench: opening xdpguard: %s\n",
			strerror(errno));
		return NULL;
	}
	if (!admit)
		skel->rodata->admit_budget = 0;
	if (xdpguard_bpf__load(skel)) {
		fprintf(stderr, "xg_bench: loading xdpguard: %s\n",
			strerror(errno));
		xdpguard_bpf__destroy(skel);
		return NULL;
	}
	/* Allowlisted: 192.0.2.0/24. Banned: 10.1.0.1 among N_BANS. */
	addr_parse("192.0.2.0", lk.a);
	err = bpf_map_update_elem(bpf_map__fd(skel->maps.allow), &lk, &allow,
				  BPF_ANY);
	addr16("10.1.0.1", &a);
	err = err   ?:
		      bpf_map_update_elem(bpf_map__fd(skel->maps.bans), &a,
					  &ban, BPF_ANY);
	err = err   ?:
		      fill_addrs(bpf_map__fd(skel->maps.bans), 0x0a400000,
				 N_BANS - 1, sizeof(ban), 0);
	/* The source table full of others (10.16.0.0 and up). */
	err = err   ?:
		      fill_sources(bpf_map__fd(skel->maps.src_stats),
				   0x0a100000);
	if (err) {
		fprintf(stderr, "xg_bench: setting up xdpguard's maps: %s\n",
			strerror(-err));
		xdpguard_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

static struct bpf_object *load_obj(const char *path, const char *prog, int *fd)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *p;
	struct bpf_map *m;

	if (!obj) {
		fprintf(stderr, "xg_bench: opening %s: %s\n", path,
			strerror(errno));
		return NULL;
	}
	/* xdp-filter pins its maps by name under /sys/fs/bpf: not ours. */
	bpf_object__for_each_map(m, obj) bpf_map__set_pin_path(m, NULL);
	if (bpf_object__load(obj)) {
		fprintf(stderr, "xg_bench: loading %s: %s\n", path,
			strerror(errno));
		bpf_object__close(obj);
		return NULL;
	}
	p = prog ? bpf_object__find_program_by_name(obj, prog) :
		   bpf_object__next_program(obj, NULL);
	*fd = p ? bpf_program__fd(p) : -1;
	return obj;
}

/* xdp-filter in its default (allow) mode, with 10.1.0.1 blocked as source. */
static struct bpf_object *load_xdpfilt(const char *variant, int *fd)
{
	char path[256];
	struct bpf_object *obj;
	struct bpf_map *m;
	__u64 flags = MAP_FLAG_SRC;
	__u32 addr;

	snprintf(path, sizeof(path), XDPFILT_DIR "/xdpfilt_%s.o", variant);
	if (access(path, R_OK))
		return NULL;
	obj = load_obj(path, NULL, fd);
	if (!obj)
		return NULL;
	m = bpf_object__find_map_by_name(obj, "filter_ipv4");
	inet_pton(AF_INET, "10.1.0.1", &addr);
	if (!m ||
	    update_all_cpus(bpf_map__fd(m), &addr, &flags, sizeof(flags))) {
		fprintf(stderr, "xg_bench: cannot fill %s's filter_ipv4\n",
			path);
		bpf_object__close(obj);
		return NULL;
	}
	return obj;
}

/* Sources base | seq & mask, one per run (bench_rotate.bpf.c). */
static struct bpf_object *rotate_in_front(int target_fd, __u32 base, __u32 mask,
					  int *fd)
{
	char path[300];
	struct bpf_object *obj;
	struct bpf_program *p;
	struct bpf_map *m, *data = NULL;
	__u32 zero = 0, range[2] = { base, mask };
	const void *init;
	size_t size;

	snprintf(path, sizeof(path), "%s/bench_rotate.bpf.o", bench_objdir);
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		fprintf(stderr, "xg_bench: opening %s: %s\n", path,
			strerror(errno));
		return NULL;
	}
	/* .data holds base and mask, in that order (the verdicts check it). */
	bpf_object__for_each_map(m, obj) if (strstr(bpf_map__name(m), ".data"))
		data = m;
	init = data ? bpf_map__initial_value(data, &size) : NULL;
	if (!init || size != sizeof(range)) {
		fprintf(stderr, "xg_bench: %s: no base and mask in .data\n",
			path);
		bpf_object__close(obj);
		return NULL;
	}
	if (bpf_map__set_initial_value(data, range, sizeof(range)) ||
	    bpf_object__load(obj)) {
		fprintf(stderr, "xg_bench: loading %s: %s\n", path,
			strerror(errno));
		bpf_object__close(obj);
		return NULL;
	}
	p = bpf_object__find_program_by_name(obj, "xdp_rotate");
	*fd = p ? bpf_program__fd(p) : -1;
	m = bpf_object__find_map_by_name(obj, "next");
	if (!m ||
	    bpf_map_update_elem(bpf_map__fd(m), &zero, &target_fd, BPF_ANY)) {
		fprintf(stderr, "xg_bench: tail call setup: %s\n",
			strerror(errno));
		bpf_object__close(obj);
		return NULL;
	}
	return obj;
}

int bench_prog(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5, r, i, floor_i, rot_i;
	struct bpf_object *empty, *filt_ip, *filt_all, *rot[5];
	struct xdpguard_bpf *skel, *skel_pfx, *skel_all;
	int fd_empty, fd_xg, fd_pfx, fd, fd_rot[5];
	char path[300];
	double floor_ns, tmp[MAX_ROUNDS];
	struct subject *s;

	if (rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "xg_bench prog: rounds must be 1..%d\n",
			MAX_ROUNDS);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/bench_empty.bpf.o", bench_objdir);
	empty = load_obj(path, "xdp_pass", &fd_empty);
	/*
	 * Three loads: as deployed; with 100k prefix bans (every lookup that
	 * misses the exact bans then walks the trie); without admission
	 * control, to show what a new source costs when it takes an entry.
	 */
	skel = load_xdpguard(1);
	skel_pfx = load_xdpguard(1);
	skel_all = load_xdpguard(0);
	if (!empty || !skel || !skel_pfx || !skel_all)
		return 1;
	fd_xg = bpf_program__fd(skel->progs.xdpguard_prog);
	fd_pfx = bpf_program__fd(skel_pfx->progs.xdpguard_prog);
	if (prefix_bans(skel_pfx, "10.2.0.1")) {
		fprintf(stderr, "xg_bench: cannot fill the prefix-ban map\n");
		return 1;
	}

	floor_i = nsubj;
	add("floor", "empty XDP program (XDP_PASS): the floor", fd_empty,
	    "10.3.0.1", F_ACK, XDP_PASS);
	add("allowed", "xdpguard: allowlisted source", fd_xg, "192.0.2.1",
	    F_ACK, XDP_PASS);
	add("banned", "xdpguard: banned address", fd_xg, "10.1.0.1", F_ACK,
	    XDP_DROP);
	add("prefix", "xdpguard: banned by prefix, 100k prefixes", fd_pfx,
	    "10.2.0.1", F_ACK, XDP_DROP);
	add("known", "xdpguard: counted, known source (ACK)", fd_xg, "10.3.0.1",
	    F_ACK, XDP_PASS);
	add("known_syn", "xdpguard: counted, known source (SYN)", fd_xg,
	    "10.3.0.2", F_SYN, XDP_PASS);

	/*
	 * The rotating sources: fresh ones from 10.128.0.0/9, or 8192 banned
	 * ones in turn, twice the verdict cache's slots so that every drop
	 * misses it. Each in front of the empty program first: its cost is
	 * subtracted.
	 */
	rot[0] = rotate_in_front(fd_empty, 0x0a800000, 0x007fffff, &fd_rot[0]);
	rot[1] = rotate_in_front(fd_xg, 0x0a800000, 0x007fffff, &fd_rot[1]);
	rot[2] = rotate_in_front(fd_pfx, 0x0a800000, 0x007fffff, &fd_rot[2]);
	rot[3] = rotate_in_front(bpf_program__fd(skel_all->progs.xdpguard_prog),
				 0x0a800000, 0x007fffff, &fd_rot[3]);
	rot[4] = rotate_in_front(fd_xg, 0x0a400000, 2 * XG_VCACHE_SLOTS - 1,
				 &fd_rot[4]);
	for (i = 0; i < 5; i++)
		if (!rot[i])
			return 1;
	rot_i = nsubj;
	add("rotate", "(rotating sources in front of the empty program)",
	    fd_rot[0], "10.3.0.3", F_SYN, XDP_PASS);
	s = add("banned_miss",
		"xdpguard: banned, 8192 sources in turn (cache missed)",
		fd_rot[4], "10.3.0.3", F_ACK, XDP_DROP);
	s->minus = rot_i;
	s = add("new_full", "xdpguard: counted, new source, table full (SYN)",
		fd_rot[1], "10.3.0.3", F_SYN, XDP_PASS);
	s->minus = rot_i;
	s = add("new_full_pfx",
		"xdpguard: new source, table full, 100k prefixes (SYN)",
		fd_rot[2], "10.3.0.3", F_SYN, XDP_PASS);
	s->minus = rot_i;
	s = add("new_full_all",
		"xdpguard: new source, table full, no admission (SYN)",
		fd_rot[3], "10.3.0.3", F_SYN, XDP_PASS);
	s->minus = rot_i;

	filt_ip = load_xdpfilt("alw_ip", &fd);
	if (filt_ip) {
		add("xf_ip_blocked",
		    "xdp-filter (xdpfilt_alw_ip): blocked source", fd,
		    "10.1.0.1", F_ACK, XDP_DROP);
		add("xf_ip_allowed", "xdp-filter (xdpfilt_alw_ip): allowed", fd,
		    "10.3.0.1", F_ACK, XDP_PASS);
	}
	filt_all = load_xdpfilt("alw_all", &fd);
	if (filt_all) {
		add("xf_all_blocked",
		    "xdp-filter (xdpfilt_alw_all): blocked source", fd,
		    "10.1.0.1", F_ACK, XDP_DROP);
		add("xf_all_allowed", "xdp-filter (xdpfilt_alw_all): allowed",
		    fd, "10.3.0.1", F_ACK, XDP_PASS);
	}

	for (r = 0; r < rounds; r++)
		for (i = 0; i < nsubj; i++) {
			if (subj[i].skip)
				continue;
			subj[i].ns[r] = time_run(&subj[i]);
			if (subj[i].ns[r] < 0)
				return 1;
		}

	/* Differences pair runs of the same round, before any sorting. */
	memcpy(tmp, subj[floor_i].ns, sizeof(tmp));
	floor_ns = median(tmp, rounds);
	for (i = 0; i < nsubj; i++)
		if (subj[i].minus >= 0 && !subj[i].skip)
			for (r = 0; r < rounds; r++)
				subj[i].ns[r] +=
					floor_ns - subj[subj[i].minus].ns[r];
	for (i = 0; i < nsubj; i++) {
		double lo, hi, m;

		s = &subj[i];
		if (s->skip) {
			row(s->key, "prog", s->name, 0, "ns",
			    "not measured: %s", s->skip);
			continue;
		}
		m = median(s->ns, rounds);
		lo = s->ns[0];
		hi = s->ns[rounds - 1];
		row(s->key, "prog", s->name, m, "ns",
		    "%.2fx floor; %d runs %.0f..%.0f", m / floor_ns, rounds, lo,
		    hi);
	}
	xdpguard_bpf__destroy(skel);
	xdpguard_bpf__destroy(skel_pfx);
	xdpguard_bpf__destroy(skel_all);
	bpf_object__close(empty);
	for (i = 0; i < 5; i++)
		bpf_object__close(rot[i]);
	bpf_object__close(filt_ip);
	bpf_object__close(filt_all);
	return 0;
}
