// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Blocklist benchmark: how long parsing and loading 10k, 100k and 1M
 * prefixes takes (first import, unchanged re-import, re-import with 10%
 * replaced, removal), the trie's memory, and the datapath's cost per packet
 * with no prefix bans versus 100k and 1M loaded, in the same run. Works on
 * a private copy of the real program and maps (skeleton, nothing pinned,
 * nothing attached); per-packet cost is BPF_PROG_TEST_RUN's own average
 * over many repeats of one frame.
 *
 * usage: import_bench [SIZE ...]   (default 10000 100000 1000000)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "blocklist.h"
#include "common.h"
#include "import.h"
#include "parse.h"
#include "xdpguard.skel.h"

#define REPEAT 2000000
#define TRIE_MAX (2 * 1024 * 1024)

static struct xdpguard_bpf *skel;
static struct xg_lists lists;

static __u64 rng = 0x9e3779b97f4a7c15ULL;

static __u64 next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/*
 * n distinct prefixes, 80% IPv4 /16-/32 and 20% IPv6 /32-/64, none inside
 * 10.0.0.0/8 (the frames' "innocent" source lives there). Written as a
 * netset file, as users would feed them.
 */
static int gen_file(const char *path, size_t n, unsigned int salt)
{
	char p[XG_PREFIX_STRLEN];
	FILE *f = fopen(path, "w");
	size_t i;

	if (!f)
		return -errno;
	rng = 0x9e3779b97f4a7c15ULL ^ salt;
	fprintf(f, "# generated: %zu prefixes\n", n);
	for (i = 0; i < n; i++) {
		struct xg_lpm_key k = {};
		__u64 r = next_rand();

		if (r % 5) {
			k.a[10] = k.a[11] = 0xff;
			memcpy(&k.a[12], &r, 4);
			if (k.a[12] == 10 || k.a[12] == 0)
				k.a[12] = 11 + (r >> 40) % 200;
			k.prefixlen = 96 + 16 + (r >> 32) % 17;
		} else {
			__u64 h = next_rand();

			k.a[0] = 0x20;
			k.a[1] = 0x01;
			memcpy(&k.a[2], &h, 6);
			k.prefixlen = 32 + (r >> 32) % 33;
		}
		xg_prefix_mask(&k, k.prefixlen, &k);
		fprintf(f, "%s\n", xg_prefix_str(&k, p, sizeof(p)));
	}
	return fclose(f) ? -errno : 0;
}

static double secs(__u64 t0)
{
	return (xg_mono_ns() - t0) / 1e9;
}

/* The kernel's memlock accounting of the trie, from fdinfo. */
static long long trie_memlock(void)
{
	char path[64], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", lists.prefixes);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int load(const char *path, struct xg_blocklist *bl, double *t)
{
	__u64 t0 = xg_mono_ns();
	int err = xg_blocklist_load(path, bl, NULL, NULL);

	*t = secs(t0);
	if (!err && bl->bad)
		err = -EINVAL;
	return err;
}

static int apply(const struct xg_blocklist *bl, double *t)
{
	struct xg_import_opts o = { .name = "bench" };
	struct xg_import_result r;
	__u64 t0 = xg_mono_ns();
	int err = xg_import_apply(&lists, &o, bl->keys, bl->n, &r);

	*t = secs(t0);
	return err;
}

static int bench_size(size_t n)
{
	char path[64], path2[64];
	struct xg_blocklist bl, bl2;
	double tp, t1, t2, t3, t4;
	struct xg_import_result r;
	long long mem;
	int err;

	snprintf(path, sizeof(path), "/tmp/xg-bench-%d-a.netset", getpid());
	snprintf(path2, sizeof(path2), "/tmp/xg-bench-%d-b.netset", getpid());
	/* The second list: 90% the same prefixes, 10% others. */
	err = gen_file(path, n, 1);
	if (!err)
		err = gen_file(path2, n - n / 10, 1);
	if (!err) {
		FILE *f = fopen(path2, "a");
		char p[XG_PREFIX_STRLEN];
		size_t i;

		for (i = 0; f && i < n / 10; i++) {
			struct xg_lpm_key k = { .prefixlen = 128 };

			k.a[0] = 0x2a;
			k.a[1] = 0x0e;
			memcpy(&k.a[8], &i, sizeof(i));
			fprintf(f, "%s\n", xg_prefix_str(&k, p, sizeof(p)));
		}
		err = !f || fclose(f) ? -EIO : 0;
	}
	if (!err)
		err = load(path, &bl, &tp);
	if (!err)
		err = load(path2, &bl2, &t1);
	if (err) {
		fprintf(stderr,
			"import_bench: cannot prepare %zu prefixes: %s\n", n,
			strerror(-err));
		return err;
	}
	err = apply(&bl, &t1);
	mem = trie_memlock();
	err = err ?: apply(&bl, &t2);
	err = err ?: apply(&bl2, &t3);
	if (!err) {
		__u64 t0 = xg_mono_ns();

		err = xg_import_remove(&lists, "bench", &r);
		t4 = secs(t0);
	}
	if (!err)
		printf("| %9zu | %8.3f | %8.3f | %8.3f | %8.3f | %8.3f | %6.0f |\n",
		       bl.n, tp, t1, t2, t3, t4,
		       mem > 0 ? (double)mem / bl.n : 0);
	xg_blocklist_free(&bl);
	xg_blocklist_free(&bl2);
	unlink(path);
	unlink(path2);
	return err;
}

/* Ethernet + IPv4 + TCP SYN from src (network order), 64 bytes. */
static void frame(__u8 *f, const __u8 src[4])
{
	static const __u8 dst[4] = { 192, 0, 2, 10 };

	memset(f, 0, 64);
	memset(f, 0x02, 12);
	f[12] = 0x08;
	f[14] = 0x45;
	f[17] = 50;
	f[22] = 64;
	f[23] = 6;
	memcpy(f + 26, src, 4);
	memcpy(f + 30, dst, 4);
	f[34] = 0x9c;
	f[36] = 0;
	f[37] = 80;
	f[46] = 0x50;
	f[47] = 0x02;
}

/* Average ns per run of the program on one frame, and its verdict. */
static int per_packet(const __u8 src[4], double *ns, __u32 *verdict)
{
	__u8 f[64];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = 64,
		    .repeat = REPEAT);
	int err;

	frame(f, src);
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdpguard_prog),
				     &o);
	if (err)
		return -errno;
	*ns = o.duration;
	*verdict = o.retval;
	return 0;
}

static int set_gate(__u32 on)
{
	struct xg_meta m;
	__u32 zero = 0;

	if (xg_meta_read(lists.meta, &m))
		return -errno;
	m.prefix_entries = on;
	return bpf_map_update_elem(lists.meta, &zero, &m, BPF_ANY) ? -errno : 0;
}

static void row(const char *what, const __u8 src[4])
{
	double ns = 0;
	__u32 v = 0;

	if (per_packet(src, &ns, &v))
		printf("| %-44s | failed: %s |\n", what, strerror(errno));
	else
		printf("| %-44s | %7.1f | %-4s |\n", what, ns,
		       v == XDP_DROP ? "drop" :
		       v == XDP_PASS ? "pass" :
				       "?");
}

static int bench_packets(size_t n)
{
	static const __u8 innocent[4] = { 10, 1, 2, 3 };
	char path[64];
	struct xg_blocklist bl;
	__u8 hit[4];
	double t;
	size_t i;
	int err;

	snprintf(path, sizeof(path), "/tmp/xg-bench-%d-p.netset", getpid());
	err = gen_file(path, n, 2);
	err = err ?: load(path, &bl, &t);
	unlink(path);
	if (err)
		return err;
	err = apply(&bl, &t);
	/* A source inside one listed IPv4 prefix. */
	for (i = 0; i < bl.n && !(bl.keys[i].a[10] == 0xff); i++)
		;
	if (i < bl.n)
		memcpy(hit, &bl.keys[i].a[12], 4);
	if (!err) {
		char what[64];

		snprintf(what, sizeof(what), "%zu prefixes, source not listed",
			 bl.n);
		row(what, innocent);
		snprintf(what, sizeof(what), "%zu prefixes, source listed",
			 bl.n);
		row(what, hit);
	}
	xg_import_remove(&lists, "bench", NULL);
	xg_blocklist_free(&bl);
	return err;
}

int main(int argc, char **argv)
{
	static const size_t def[] = { 10000, 100000, 1000000 };
	static const __u8 innocent[4] = { 10, 1, 2, 3 };
	size_t sizes[16], nsizes = 0, i;
	char pin[64];
	int err = 0;

	for (i = 1; i < (size_t)argc && nsizes < 16; i++) {
		char *end;

		sizes[nsizes++] = strtoul(argv[i], &end, 10);
		if (*end || !sizes[nsizes - 1] ||
		    sizes[nsizes - 1] > TRIE_MAX / 2) {
			fprintf(stderr,
				"usage: import_bench [SIZE ...] (1 to %d)\n",
				TRIE_MAX / 2);
			return 2;
		}
	}
	if (!nsizes)
		for (; nsizes < 3; nsizes++)
			sizes[nsizes] = def[nsizes];
	/* Our own lists lock: a real xdpguard on this host is left alone. */
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/xg-bench-import-%d", getpid());
	xg_set_pin_dir(pin);

	skel = xdpguard_bpf__open();
	if (!skel ||
	    bpf_map__set_max_entries(skel->maps.ban_prefixes, TRIE_MAX) ||
	    xdpguard_bpf__load(skel)) {
		fprintf(stderr,
			"import_bench: cannot load the BPF program (needs root): %s\n",
			strerror(errno));
		return 1;
	}
	lists = (struct xg_lists){
		.allow = -1,
		.bans = bpf_map__fd(skel->maps.bans),
		.prefixes = bpf_map__fd(skel->maps.ban_prefixes),
		.sources = bpf_map__fd(skel->maps.sources),
		.meta = bpf_map__fd(skel->maps.meta),
	};

	printf("Blocklist import (seconds; parse = read and check the file)\n\n");
	printf("| %9s | %8s | %8s | %8s | %8s | %8s | %6s |\n", "prefixes",
	       "parse", "import", "same", "10% new", "remove", "B/pfx");
	printf("|-----------|----------|----------|----------|----------|----------|--------|\n");
	for (i = 0; !err && i < nsizes; i++)
		err = bench_size(sizes[i]);

	printf("\nDatapath per packet (BPF_PROG_TEST_RUN, %d repeats, 64-byte IPv4 SYN)\n\n",
	       REPEAT);
	printf("| %-44s | %7s | %-4s |\n", "state", "ns/pkt", "verdict");
	printf("|----------------------------------------------|---------|---------|\n");
	if (!err) {
		set_gate(0);
		row("no prefix bans (gate closed)", innocent);
		set_gate(1);
		row("no prefix bans, gate forced open (empty trie)", innocent);
		set_gate(0);
		err = bench_packets(100000);
		err = err ?: bench_packets(1000000);
		set_gate(0);
		row("no prefix bans again (gate closed)", innocent);
	}
	xdpguard_bpf__destroy(skel);
	snprintf(pin, sizeof(pin),
		 "/run/xdpguard-xg-bench-import-%d.lists.lock", getpid());
	unlink(pin);
	if (err)
		fprintf(stderr, "import_bench: %s\n", strerror(-err));
	return err ? 1 : 0;
}
