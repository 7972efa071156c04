// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One daemon poll over N tracked sources, timed on one core: the source
 * table is filled with N entries, then the daemon's own read path
 * (xg_src_reader_read(), a scan of the mmap'd table) and its detector
 * (xg_detector_poll()) run as in user/daemon.c's tick(). Two cases: every
 * source idle since the previous poll (their counters unchanged), and every
 * source active (each one's counters moved, so the detector keeps windows
 * for all of them: the worst case).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"
#include "common.h"
#include "detect.h"
#include "maps.h"
#include "srctab.h"
#include "xdpguard.skel.h"

#define MAX_ROUNDS 15
#define PORT_SHIFT 33

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void no_event(const struct xg_event *ev, void *ctx)
{
	(*(size_t *)ctx)++;
}

/*
 * Writes n sources, each with pkts packets, into their buckets (seed 0, the
 * skeleton's). Returns how many found a free slot, or -errno.
 */
static long fill(int fd, __u32 n, __u64 pkts)
{
	__u64 t = xg_mono_ns(), k[2];
	struct xg_srctab tab;
	long placed = 0;
	__u32 i, w;
	int err = xg_srctab_map(&tab, fd, true);

	if (err)
		return err;
	for (i = 0; i < n; i++) {
		struct xg_addr a = {};
		__u32 v4 = htonl(0x0a000000 + i);
		struct xg_src_bucket *bk;

		a.a[10] = a.a[11] = 0xff;
		memcpy(&a.a[12], &v4, 4);
		memcpy(k, a.a, sizeof(k));
		bk = &tab.b[xg_src_bucket(k, 0, tab.nb - 1)];
		for (w = 0; w < XG_SRC_WAYS; w++) {
			struct xg_src_slot *sl = &bk->w[w];

			if (sl->s.first_ns &&
			    (sl->key[0] != k[0] || sl->key[1] != k[1]))
				continue;
			if (!sl->s.first_ns) {
				memcpy(sl->key, k, sizeof(k));
				sl->s.first_ns = t - 30 * NSEC_PER_SEC;
			}
			sl->s.pkts = pkts;
			sl->s.bytes = pkts * 60;
			sl->s.syns = pkts / 2;
			sl->s.last_ns = t;
			sl->s.port_epoch = t >> PORT_SHIFT;
			sl->s.tcp_ports[0] = 0x11;
			placed++;
			break;
		}
	}
	xg_srctab_unmap(&tab);
	return placed;
}

/* One tick as the daemon does it; returns ms, or -1. */
static double one_poll(int fd, struct xg_detector *d, double *read_ms)
{
	static struct xg_src_reader rd; /* kept from poll to poll, as there */
	size_t nsrc = 0, nev = 0;
	double t0 = now_ms(), t1;

	if (xg_src_reader_read(&rd, fd, PORT_SHIFT, true, &nsrc))
		return -1;
	t1 = now_ms();
	xg_detector_poll(d, xg_mono_ns(), rd.src, nsrc, NULL, 0, NULL, 0, NULL,
			 no_event, &nev);
	*read_ms = t1 - t0;
	return now_ms() - t0;
}

int bench_poll(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0;
	int rounds = argc > 2 ? atoi(argv[2]) : 5, r, c, fd;
	__u32 nb;
	double idle[MAX_ROUNDS], act[MAX_ROUNDS], rd_i[MAX_ROUNDS],
		rd_a[MAX_ROUNDS];
	struct xg_detect_cfg cfg;
	struct xdpguard_bpf *skel;
	struct xg_detector *d;
	char key[32], name[64];

	if (n < 1 || n > (1 << 24) || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr,
			"usage: xg_bench poll N(1..16M) [ROUNDS(1..%d)]\n",
			MAX_ROUNDS);
		return 2;
	}
	skel = xdpguard_bpf__open();
	if (!skel)
		return 1;
	/* Room for all N: 4-way buckets at under half load rarely overflow. */
	nb = xg_src_nbuckets(2 * n > 1024 ? 2 * n : 1024);
	bpf_map__set_max_entries(skel->maps.src_stats, nb);
	skel->rodata->src_mask = nb - 1;
	if (xdpguard_bpf__load(skel)) {
		fprintf(stderr, "xg_bench: loading xdpguard: %s\n",
			strerror(errno));
		return 1;
	}
	fd = bpf_map__fd(skel->maps.src_stats);
	xg_detect_defaults(&cfg);
	d = xg_detector_new(&cfg);
	if (!d || (c = fill(fd, n, 100)) < 0) {
		fprintf(stderr, "xg_bench: filling %ld sources failed\n", n);
		return 1;
	}
	/* The first poll learns every source; later ones are the steady state. */
	if (one_poll(fd, d, &rd_i[0]) < 0)
		return 1;
	for (r = 0; r < rounds; r++) {
		idle[r] = one_poll(fd, d, &rd_i[r]);
		/* Every source moves before the next poll (untimed). */
		c = fill(fd, n, 200 + r) < 0;
		act[r] = c ? -1 : one_poll(fd, d, &rd_a[r]);
		if (idle[r] < 0 || act[r] < 0)
			return 1;
	}
	snprintf(key, sizeof(key), "poll_idle_%ld", n);
	snprintf(name, sizeof(name), "one poll, %ld sources, idle", n);
	row(key, "poll", name, median(idle, rounds), "ms",
	    "of which reading the map %.1f ms", median(rd_i, rounds));
	snprintf(key, sizeof(key), "poll_active_%ld", n);
	snprintf(name, sizeof(name), "one poll, %ld sources, all active", n);
	row(key, "poll", name, median(act, rounds), "ms",
	    "of which reading the map %.1f ms; detector holds %zu",
	    median(rd_a, rounds), xg_detector_tracked(d));
	xg_detector_free(d);
	xdpguard_bpf__destroy(skel);
	return 0;
}
