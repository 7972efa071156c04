// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The live sender and the attach helper of `make bench`.
 *
 *   xg_bench blast IFACE SECONDS DST_MAC SRC DST [FLOOD_BITS [ATTACK_EVERY ATTACK_SRC]]
 *	Sends TCP SYNs out of IFACE (in the caller's network namespace) for
 *	SECONDS through tests/bpf/bench_blast.bpf.c in live-frames mode, and
 *	prints the frames handed to the kernel per second. FLOOD_BITS > 0
 *	varies the low bits of SRC (2^FLOOD_BITS sources); every ATTACK_EVERY-th
 *	frame then comes from ATTACK_SRC (SYN flood) or the address after it
 *	(port scan).
 *
 *   xg_bench xdp IFACE OBJECT PROGRAM [BLOCK_SRC]
 *	Attaches PROGRAM of OBJECT to IFACE in native mode (replacing nothing:
 *	it fails if IFACE has a program). With BLOCK_SRC, the object is one of
 *	xdp-filter's and BLOCK_SRC goes into its filter_ipv4 as a source.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "bench.h"
#include "frames.h"

#define CHUNK (1 << 18) /* frames per BPF_PROG_TEST_RUN call */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_mac(const char *s, __u8 mac[6])
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
		      &mac[2], &mac[3], &mac[4], &mac[5]) == 6 ?
		       0 :
		       -EINVAL;
}

static int v4(const char *s, __u32 *host)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*host = ntohl(a.s_addr);
	return 0;
}

/* Sets a const volatile __u32 of an opened (not yet loaded) object. */
static int set_rodata(struct bpf_object *obj, const char *name, __u32 val)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, ".rodata");
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	const void *init;
	__u8 data[256];
	size_t size;
	int id, i;

	if (!m || !btf)
		return -ENOENT;
	init = bpf_map__initial_value(m, &size);
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (!init || id < 0 || size > sizeof(data))
		return -ENOENT;
	memcpy(data, init, size);
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);

		if (!strcmp(btf__name_by_offset(btf, var->name_off), name) &&
		    vs->size == sizeof(val) && vs->offset + 4 <= size) {
			memcpy(data + vs->offset, &val, sizeof(val));
			return bpf_map__set_initial_value(m, data, size);
		}
	}
	return -ENOENT;
}

int bench_blast(int argc, char **argv)
{
	__u32 flood_bits = 0, attack_every = 0, attack = 0, src;
	struct bpf_object *obj;
	struct bpf_program *prog;
	__u8 frame[FRAME_MAX];
	double secs, t0, t;
	unsigned long long sent = 0;
	char path[300];
	size_t len;
	int ifindex, fd, err, batch = 64;

	if (argc < 6 || !(ifindex = if_nametoindex(argv[1])) ||
	    (secs = atof(argv[2])) <= 0 || secs > 60 || v4(argv[4], &src) ||
	    (argc > 6 && (flood_bits = atoi(argv[6])) > 24) ||
	    (argc > 8 && v4(argv[8], &attack))) {
		fprintf(stderr,
			"usage: xg_bench blast IFACE SECONDS(<=60) DST_MAC SRC DST [FLOOD_BITS(<=24) [ATTACK_EVERY ATTACK_SRC]]\n");
		return 2;
	}
	if (argc > 7)
		attack_every = atoi(argv[7]);
	len = frame_tcp4(frame, argv[4], argv[5], F_SYN);
	if (!len || parse_mac(argv[3], frame)) {
		fprintf(stderr, "xg_bench blast: bad address or MAC\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/bench_blast.bpf.o", bench_objdir);
	obj = bpf_object__open_file(path, NULL);
	if (!obj)
		return 1;
	if (set_rodata(obj, "ifindex", ifindex) ||
	    set_rodata(obj, "src_bits", flood_bits) ||
	    set_rodata(obj, "flood_src", src) ||
	    set_rodata(obj, "attack_every", attack_every) ||
	    set_rodata(obj, "attack_src", attack) || bpf_object__load(obj)) {
		fprintf(stderr, "xg_bench blast: loading %s: %s\n", path,
			strerror(errno));
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, "xdp_blast");
	fd = bpf_program__fd(prog);
	if (getenv("BLAST_BATCH"))
		batch = atoi(getenv("BLAST_BATCH"));
	t0 = now_s();
	do {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
			    .data_size_in = len, .repeat = CHUNK,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
			    .batch_size = batch);

		err = bpf_prog_test_run_opts(fd, &o);
		if (err) {
			fprintf(stderr, "xg_bench blast: live frames: %s\n",
				strerror(errno));
			return 1;
		}
		sent += CHUNK;
		t = now_s();
	} while (t - t0 < secs);
	printf("%llu %.3f\n", sent, t - t0);
	bpf_object__close(obj);
	return 0;
}

int bench_xdp(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *m;
	int ifindex, err;

	if (argc < 4 || !(ifindex = if_nametoindex(argv[1]))) {
		fprintf(stderr,
			"usage: xg_bench xdp IFACE OBJECT PROGRAM [BLOCK_SRC]\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[2], NULL);
	if (!obj)
		return 1;
	bpf_object__for_each_map(m, obj) bpf_map__set_pin_path(m, NULL);
	if (bpf_object__load(obj)) {
		fprintf(stderr, "xg_bench xdp: loading %s: %s\n", argv[2],
			strerror(errno));
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, argv[3]);
	if (!prog) {
		fprintf(stderr, "xg_bench xdp: no program %s in %s\n", argv[3],
			argv[2]);
		return 1;
	}
	if (argc > 4) {
		int ncpu = libbpf_num_possible_cpus(), c;
		__u64 flags[ncpu];
		struct in_addr a;

		for (c = 0; c < ncpu; c++)
			flags[c] = 1; /* xdp-filter's MAP_FLAG_SRC */
		m = bpf_object__find_map_by_name(obj, "filter_ipv4");
		if (inet_pton(AF_INET, argv[4], &a) != 1 || !m ||
		    bpf_map_update_elem(bpf_map__fd(m), &a.s_addr, flags,
					BPF_ANY)) {
			fprintf(stderr, "xg_bench xdp: cannot block %s\n",
				argv[4]);
			return 1;
		}
	}
	err = bpf_xdp_attach(ifindex, bpf_program__fd(prog),
			     XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST,
			     NULL);
	if (err) {
		fprintf(stderr, "xg_bench xdp: attaching to %s: %s\n", argv[1],
			strerror(-err));
		return 1;
	}
	return 0;
}
