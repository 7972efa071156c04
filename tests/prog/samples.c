// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Drop samples (the "samples" ring buffer): at most sample_rate per CPU and
 * budget window (2^30 ns), each a copy of the dropped frame's head with its
 * reason; passed traffic is never sampled. A spent budget reads the clock
 * only once per 64 drops, so a new window shows within 64 drops of its
 * start. The process stays on one CPU (prog_test.c): one budget.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "prog_test.h"
#include "xdpguard.skel.h"

#define RATE 3
#define BANNED "10.5.5.5" /* forever */
#define BANNED_TTL "10.5.5.6" /* for an hour */
#define CLEAN "10.5.5.7"

struct seen {
	int n, bad;
	const struct frame *f;
	__u32 reason;
};

static int on_sample(void *ctx, void *data, size_t len)
{
	const struct xg_sample *s = data;
	struct seen *v = ctx;
	__u32 cap;

	v->n++;
	if (len < sizeof(*s)) {
		v->bad++;
		return 0;
	}
	cap = v->f->len < XG_SAMPLE_SNAP ? v->f->len : XG_SAMPLE_SNAP;
	if (s->reason != v->reason || s->pkt_len != v->f->len ||
	    s->cap_len != cap || memcmp(s->data, v->f->b, cap))
		v->bad++;
	return 0;
}

static int ban(int fd, const char *src, __u64 ttl_ns)
{
	struct xg_ban b = { .created_ns = coarse_ns(),
			    .reason = XG_REASON_MANUAL };
	__u8 a[16] = {};

	addr_parse(src, a);
	if (ttl_ns)
		b.expires_ns = coarse_ns() + ttl_ns;
	return bpf_map_update_elem(fd, a, &b, BPF_ANY) ? -errno : 0;
}

/* Sends n SYNs from src; each must get verdict v. */
static int send_n(int fd_prog, const char *src, int n, int v, struct frame *out)
{
	struct pkt p = { .src = src,
			 .dst = "192.0.2.1",
			 .proto = 6,
			 .flags = F_SYN,
			 .sport = 40000,
			 .dport = 22,
			 .payload = 200 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .repeat = 1);

	if (pkt_build(&p, out))
		return -EINVAL;
	o.data_in = out->b;
	o.data_size_in = out->len;
	while (n-- > 0) {
		if (bpf_prog_test_run_opts(fd_prog, &o))
			return -errno;
		if ((int)o.retval != v) {
			fail("%s: verdict %u, expected %d", src, o.retval, v);
			return -EINVAL;
		}
	}
	return 0;
}

/* Sleeps into the next budget window, plus a little. */
static void next_window(void)
{
	const __u64 win = 1ULL << 30;
	__u64 left = win - (coarse_ns() & (win - 1)) + 20000000;
	struct timespec ts = { left / 1000000000ULL, left % 1000000000ULL };

	nanosleep(&ts, NULL);
}

/* n drops (or passes) from src; then the samples they made must be want. */
static void expect(int fd_prog, struct ring_buffer *rb, struct seen *v,
		   const char *src, int n, int verdict, int want,
		   const char *what)
{
	struct frame f;

	v->n = v->bad = 0;
	v->f = &f;
	if (send_n(fd_prog, src, n, verdict, &f))
		return;
	ring_buffer__consume(rb);
	if (v->n != want)
		fail("%s: %d samples, expected %d", what, v->n, want);
	if (v->bad)
		fail("%s: %d samples with a wrong reason, length or copy", what,
		     v->bad);
}

void run_samples(void)
{
	struct seen v = { .reason = XG_REASON_MANUAL };
	struct xdpguard_bpf *skel = xdpguard_bpf__open();
	struct ring_buffer *rb = NULL;
	int fd_prog, fd_bans;

	if (!skel) {
		fail("cannot open the object: %s", strerror(errno));
		goto out;
	}
	skel->rodata->sample_rate = RATE;
	if (xdpguard_bpf__load(skel)) {
		fail("cannot load the object: %s", strerror(errno));
		goto out;
	}
	fd_prog = bpf_program__fd(skel->progs.xdpguard_prog);
	fd_bans = bpf_map__fd(skel->maps.bans);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.samples), on_sample, &v,
			      NULL);
	if (!rb || ban(fd_bans, BANNED, 0) ||
	    ban(fd_bans, BANNED_TTL, 3600ULL * 1000000000ULL)) {
		fail("cannot set up the ring buffer or the bans");
		goto out;
	}
	next_window();
	expect(fd_prog, rb, &v, CLEAN, 10, XDP_PASS, 0, "passed traffic");
	expect(fd_prog, rb, &v, BANNED, 10, XDP_DROP, RATE,
	       "10 drops, a permanent ban");
	expect(fd_prog, rb, &v, BANNED_TTL, 10, XDP_DROP, 0,
	       "10 more, a ban with a TTL, budget spent");
	report("samples: at most sample_rate drops per window, passes never",
	       NULL);

	/* 17 drops spent so far: the 47th of the next window reads the clock. */
	next_window();
	expect(fd_prog, rb, &v, BANNED, 46, XDP_DROP, 0,
	       "a new window, the first 46 drops");
	expect(fd_prog, rb, &v, BANNED, 20, XDP_DROP, RATE,
	       "a new window, 20 drops more");
	report("samples: a spent budget sees the next window within 64 drops",
	       NULL);
out:
	ring_buffer__free(rb);
	xdpguard_bpf__destroy(skel);
}
