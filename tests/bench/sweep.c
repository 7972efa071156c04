// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The daemon's ban sweep (xg_ban_sweep(), every poll): the bans map of a
 * loaded xdpguard object filled with N live bans (the default map size is
 * 65,536), then one sweep timed that finds nothing to lift, which is what
 * every poll between expiries costs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bans.h"
#include "bench.h"
#include "common.h"
#include "xdpguard.skel.h"

#define MAX_ROUNDS 15

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int bench_sweep(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0, i;
	int rounds = argc > 2 ? atoi(argv[2]) : 5, r, fd, got;
	struct xg_ban b = { .reason = XG_REASON_MANUAL };
	double t[MAX_ROUNDS], t0;
	struct xdpguard_bpf *skel;
	char key[32], name[64];

	if (n < 1 || n > (1 << 24) || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr,
			"usage: xg_bench sweep N(1..16M) [ROUNDS(1..%d)]\n",
			MAX_ROUNDS);
		return 2;
	}
	skel = xdpguard_bpf__open();
	if (!skel)
		return 1;
	bpf_map__set_max_entries(skel->maps.bans, n);
	if (xdpguard_bpf__load(skel)) {
		fprintf(stderr, "xg_bench: loading xdpguard: %s\n",
			strerror(errno));
		return 1;
	}
	fd = bpf_map__fd(skel->maps.bans);
	b.created_ns = xg_mono_ns();
	b.expires_ns = b.created_ns + 3600 * NSEC_PER_SEC;
	for (i = 0; i < n; i++) {
		struct xg_addr a = {};
		__u32 v4 = htonl(0x0a000000 + i);

		a.a[10] = a.a[11] = 0xff;
		memcpy(&a.a[12], &v4, 4);
		if (bpf_map_update_elem(fd, &a, &b, BPF_ANY)) {
			fprintf(stderr, "xg_bench: filling bans: %s\n",
				strerror(errno));
			return 1;
		}
	}
	for (r = 0; r < rounds; r++) {
		t0 = now_ms();
		got = xg_ban_sweep(fd, xg_mono_ns(), NULL, NULL, NULL);
		t[r] = now_ms() - t0;
		if (got) {
			fprintf(stderr, "xg_bench: the sweep lifted %d bans\n",
				got);
			return 1;
		}
	}
	snprintf(key, sizeof(key), "sweep_%ld", n);
	snprintf(name, sizeof(name), "ban sweep, %ld live bans", n);
	row(key, "poll", name, median(t, rounds), "ms",
	    "every poll; nothing to lift");
	xdpguard_bpf__destroy(skel);
	return 0;
}
