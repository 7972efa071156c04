// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Why the source table is an mmap'able array (docs/performance.md): reading
 * about a million entries of 112-byte values through the batch API of each
 * hash map type, against one sequential pass over an mmap'd array of 2^20
 * 128-byte values. Maps are created here, filled and read, nothing else.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"

#define N (1u << 20)
#define VSIZE 112
#define CHUNK 4096u

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double read_hash(enum bpf_map_type type, const char *name, int rounds)
{
	int ncpu = type == BPF_MAP_TYPE_PERCPU_HASH ||
				   type == BPF_MAP_TYPE_LRU_PERCPU_HASH ?
			   libbpf_num_possible_cpus() :
			   1;
	int fd = bpf_map_create(type, name, 16, VSIZE, N + N / 4, NULL);
	char *k = calloc(CHUNK, 16), *v = calloc(CHUNK, (size_t)VSIZE * ncpu);
	double t[16];
	__u32 i, j, c;
	int r;

	LIBBPF_OPTS(bpf_map_batch_opts, o);
	if (fd < 0 || !k || !v) {
		free(k);
		free(v);
		return -1;
	}
	for (i = 0; i < N; i += CHUNK) {
		c = CHUNK;
		for (j = 0; j < c; j++) {
			__u32 x = i + j;

			memset(k + j * 16, 0, 16);
			memcpy(k + j * 16 + 12, &x, 4);
		}
		bpf_map_update_batch(fd, k, v, &c, &o);
	}
	for (r = 0; r < rounds; r++) {
		__u32 in = 0, out = 0;
		double t0 = now_ms();
		bool first = true;

		for (;;) {
			c = CHUNK;
			if (bpf_map_lookup_batch(fd, first ? NULL : &in, &out,
						 k, v, &c, &o))
				break;
			first = false;
			in = out;
		}
		t[r] = now_ms() - t0;
	}
	close(fd);
	free(k);
	free(v);
	return median(t, rounds);
}

static double read_mmap(int rounds)
{
	LIBBPF_OPTS(bpf_map_create_opts, co, .map_flags = BPF_F_MMAPABLE);
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "rp_mmap", 4, 128, N, &co);
	volatile __u64 sink = 0;
	__u64 *m, s;
	double t[16];
	__u32 i;
	int r;

	if (fd < 0)
		return -1;
	m = mmap(NULL, (size_t)N * 128, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 0);
	if (m == MAP_FAILED) {
		close(fd);
		return -1;
	}
	for (i = 0; i < N; i++)
		m[i * 16] = m[i * 16 + 2] = i + 1;
	for (r = 0; r < rounds; r++) {
		double t0 = now_ms();

		for (s = 0, i = 0; i < N; i++)
			if (m[i * 16])
				s += m[i * 16 + 2] + m[i * 16 + 3];
		sink += s;
		t[r] = now_ms() - t0;
	}
	munmap(m, (size_t)N * 128);
	close(fd);
	return median(t, rounds);
}

int bench_readpath(int argc, char **argv)
{
	static const struct {
		enum bpf_map_type type;
		const char *key, *name;
	} maps[] = {
		{ BPF_MAP_TYPE_LRU_PERCPU_HASH, "rp_lru_pcpu",
		  "batch read, LRU per-CPU hash" },
		{ BPF_MAP_TYPE_LRU_HASH, "rp_lru", "batch read, LRU hash" },
		{ BPF_MAP_TYPE_HASH, "rp_hash", "batch read, hash" },
		{ BPF_MAP_TYPE_PERCPU_HASH, "rp_pcpu",
		  "batch read, per-CPU hash" },
	};
	int rounds = argc > 1 ? atoi(argv[1]) : 3;
	char name[96];
	size_t i;

	if (rounds < 1 || rounds > 15) {
		fprintf(stderr, "usage: xg_bench readpath [ROUNDS(1..15)]\n");
		return 2;
	}
	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		snprintf(name, sizeof(name), "%s, 2^20 entries of 112 B",
			 maps[i].name);
		row(maps[i].key, "readpath", name,
		    read_hash(maps[i].type, maps[i].key, rounds), "ms", NULL);
	}
	row("rp_mmap", "readpath",
	    "scan of an mmap'd array, 2^20 entries of 128 B", read_mmap(rounds),
	    "ms", NULL);
	return 0;
}
