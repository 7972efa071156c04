// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness: arbitrary frames through the real XDP object with
 * BPF_PROG_TEST_RUN, each checked against a reference model of the verdict.
 *
 * The program itself is invisible to libFuzzer's coverage (it runs in the
 * kernel), so the reference parser below is also what guides the fuzzer:
 * every branch it takes (VLAN depth, IP version, IHL, extension headers,
 * banned or allowlisted source) is coverage, and inputs that reach a new one
 * are kept. The maps are loaded once with bans and allowlist entries, and
 * after every frame:
 *  - the verdict is XDP_PASS or XDP_DROP, and exactly the one the model
 *    predicts: drop if and only if the source is known, live-banned and not
 *    allowlisted;
 *  - exactly one global_stats slot moved, by one packet and the frame's
 *    length, and it is the slot of that verdict (the ban's reason for a drop);
 *  - a counted source's src_stats entry grew by one packet and the length,
 *    and a dropped or allowlisted source was not counted;
 *  - the program left the frame unchanged.
 * A violation aborts, so libFuzzer saves the frame as a crash-* file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdpguard.h"
#include "xdpguard.skel.h"

#define NS_PER_SEC 1000000000ULL
#define ETH_HLEN 14
/* BPF_PROG_TEST_RUN takes XDP frames up to a page minus head/tailroom. */
#define FRAME_MAX 3000
#define MAX_CPUS 1024

struct ban_spec {
	const char *addr;
	__u32 reason;
	int ttl; /* seconds; 0 = permanent; < 0 = expired that long ago */
};

/*
 * The pre-loaded state. The fuzzer has to find these sources, so the seed
 * corpus holds frames from most of them. Reason 200 is out of range: the
 * program must count it as reason none rather than index past its counters.
 */
static const struct ban_spec ban_specs[] = {
	{ "10.66.0.1", XG_REASON_MANUAL, 3600 },
	{ "10.66.0.2", XG_REASON_PORT_SCAN, 0 },
	{ "10.66.0.3", XG_REASON_SYN_FLOOD, -60 },
	{ "10.66.0.4", 200, 3600 },
	{ "10.66.1.7", XG_REASON_ICMP_FLOOD, 3600 }, /* also allowlisted */
	{ "2001:db8::66", XG_REASON_SYN_FLOOD, 3600 },
	{ "2001:db8:aa::1", XG_REASON_CONN_FLOOD, 0 }, /* also allowlisted */
	{ "::ffff:10.66.0.9", XG_REASON_BLOCKLIST, 3600 }, /* v4 via v6 text */
	{ "fe80::1", XG_REASON_MANUAL, -1 },
};

static const char *const allow_specs[] = {
	"10.66.1.0/24", /* as 96 + 24 */
	"2001:db8:aa::/48",
	"192.0.2.128/25",
};

struct model_ban {
	__u8 a[16];
	__u32 reason;
	__u64 expires_ns;
};

struct model_allow {
	__u8 a[16];
	__u32 plen;
};

static struct xdpguard_bpf *skel;
static int fd_prog, fd_src, fd_glob, ncpu;
#define N_BANS (sizeof(ban_specs) / sizeof(ban_specs[0]))
#define N_ALLOW (sizeof(allow_specs) / sizeof(allow_specs[0]))

static struct model_ban mbans[N_BANS];
static struct model_allow mallow[N_ALLOW];
static struct xg_counter glob_prev[XG_CNT__MAX];
static unsigned long long n_frames, n_refused, n_drop, n_allowed, n_counted,
	n_unknown;

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "fuzz_xdp: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	abort();
}

static int to16(const char *s, __u8 a[16])
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET6, s, a) == 1)
		return 6;
	if (inet_pton(AF_INET, s, a + 12) == 1) {
		a[10] = a[11] = 0xff;
		return 4;
	}
	return 0;
}

static void read_glob(struct xg_counter out[XG_CNT__MAX])
{
	struct xg_counter v[MAX_CPUS];
	__u32 i;
	int c;

	for (i = 0; i < XG_CNT__MAX; i++) {
		if (bpf_map_lookup_elem(fd_glob, &i, v))
			die("reading global_stats: %s", strerror(errno));
		out[i].pkts = out[i].bytes = 0;
		for (c = 0; c < ncpu; c++) {
			out[i].pkts += v[c].pkts;
			out[i].bytes += v[c].bytes;
		}
	}
}

/* One source's packets and bytes; 0 when not tracked (seed 0: the default). */
static void read_src(const __u8 a[16], __u64 *pkts, __u64 *bytes)
{
	static struct xg_src_bucket bk;
	__u32 b;
	__u64 k[2];
	int w;

	*pkts = *bytes = 0;
	memcpy(k, a, sizeof(k));
	b = xg_src_bucket(k, 0, skel->rodata->src_mask);
	if (bpf_map_lookup_elem(fd_src, &b, &bk))
		return;
	w = xg_src_way(&bk, k);
	if (w >= 0) {
		*pkts = bk.w[w].s.pkts;
		*bytes = bk.w[w].s.bytes;
	}
}

static void setup(void)
{
	int fd_bans, fd_allow;
	char *slash, buf[64];
	__u64 now = now_ns();
	size_t i;

	skel = xdpguard_bpf__open();
	if (!skel)
		die("opening the XDP object: %s", strerror(errno));
	/*
	 * Every source admitted: the model says a counted frame grows its
	 * source's entry, and random sources would soon exhaust the budget
	 * (admission has tests of its own in tests/prog/vcache.c).
	 */
	skel->rodata->admit_budget = 0;
	if (xdpguard_bpf__load(skel))
		die("loading the XDP object: %s (needs root)", strerror(errno));
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0 || ncpu > MAX_CPUS)
		die("possible CPUs out of range%s", "");
	fd_prog = bpf_program__fd(skel->progs.xdpguard_prog);
	fd_src = bpf_map__fd(skel->maps.src_stats);
	fd_glob = bpf_map__fd(skel->maps.global_stats);
	fd_bans = bpf_map__fd(skel->maps.bans);
	fd_allow = bpf_map__fd(skel->maps.allow);

	for (i = 0; i < N_BANS; i++) {
		struct xg_ban b = { .created_ns = now,
				    .reason = ban_specs[i].reason };
		int ttl = ban_specs[i].ttl;

		if (!to16(ban_specs[i].addr, mbans[i].a))
			die("bad ban address %s", ban_specs[i].addr);
		if (ttl > 0)
			b.expires_ns = now + ttl * NS_PER_SEC;
		else if (ttl < 0)
			b.expires_ns = now - (__u64)-ttl * NS_PER_SEC;
		mbans[i].reason = b.reason;
		mbans[i].expires_ns = b.expires_ns;
		if (bpf_map_update_elem(fd_bans, mbans[i].a, &b, BPF_NOEXIST))
			die("writing ban %s", ban_specs[i].addr);
	}
	for (i = 0; i < N_ALLOW; i++) {
		struct xg_lpm_key k = {};
		struct xg_allow v = { .created_ns = now };
		int fam;

		snprintf(buf, sizeof(buf), "%s", allow_specs[i]);
		slash = strchr(buf, '/');
		*slash = '\0';
		fam = to16(buf, k.a);
		k.prefixlen = atoi(slash + 1) + (fam == 4 ? 96 : 0);
		memcpy(mallow[i].a, k.a, 16);
		mallow[i].plen = k.prefixlen;
		if (!fam || bpf_map_update_elem(fd_allow, &k, &v, BPF_NOEXIST))
			die("writing allow %s", allow_specs[i]);
	}
	read_glob(glob_prev);
}

static void report(void)
{
	fprintf(stderr,
		"fuzz_xdp: %llu frames checked (%llu refused as shorter than Ethernet, %llu dropped, %llu allowlisted, %llu counted, %llu without a known source); invariants held\n",
		n_frames, n_refused, n_drop, n_allowed, n_counted, n_unknown);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	setup();
	atexit(report);
	return 0;
}

static unsigned int be16(const __u8 *p)
{
	return p[0] << 8 | p[1];
}

/* What the model expects the program to do with a frame. */
struct verdict {
	int action;
	__u32 slot; /* XG_CNT__MAX: PASS or MALFORMED, decided by L4 */
	int known; /* source address parsed */
	__u8 src[16];
};

/*
 * The source address, as bpf/parsing.h finds it: Ethernet, at most two
 * 802.1Q/802.1ad tags, then a whole IPv4 header (version 4, IHL >= 5, all
 * of it in the frame) or the fixed IPv6 header (version 6).
 */
static void model(const __u8 *d, size_t len, struct verdict *v)
{
	size_t off = ETH_HLEN, i, j;
	unsigned int proto;
	__u64 now;

	memset(v, 0, sizeof(*v));
	v->action = XDP_PASS;
	v->slot = XG_CNT_MALFORMED;
	if (len < ETH_HLEN)
		return;
	proto = be16(d + 12);
	for (i = 0; i < 2 && (proto == 0x8100 || proto == 0x88a8); i++) {
		if (off + 4 > len)
			return;
		proto = be16(d + off + 2);
		off += 4;
	}
	if (proto == 0x0800) {
		if (off + 20 > len || d[off] >> 4 != 4 || (d[off] & 15) < 5 ||
		    off + (d[off] & 15) * 4 > len)
			return;
		memset(v->src, 0, 10);
		v->src[10] = v->src[11] = 0xff;
		memcpy(v->src + 12, d + off + 12, 4);
	} else if (proto == 0x86dd) {
		if (off + 40 > len || d[off] >> 4 != 6)
			return;
		memcpy(v->src, d + off + 8, 16);
	} else {
		v->slot = XG_CNT_NON_IP;
		return;
	}
	v->known = 1;
	for (i = 0; i < N_ALLOW; i++) {
		__u32 full = mallow[i].plen / 8, rest = mallow[i].plen % 8;

		if (memcmp(mallow[i].a, v->src, full))
			continue;
		if (rest && (mallow[i].a[full] ^ v->src[full]) &
				    (__u8)(0xff << (8 - rest)))
			continue;
		v->slot = XG_CNT_ALLOWED;
		return;
	}
	now = now_ns();
	for (j = 0; j < N_BANS; j++) {
		if (memcmp(mbans[j].a, v->src, 16))
			continue;
		/*
		 * The program read the clock before we did, so a ban that
		 * expires between the two readings cannot occur here: expiry
		 * times are hours or seconds away from any run.
		 */
		if (mbans[j].expires_ns && mbans[j].expires_ns <= now)
			break;
		v->action = XDP_DROP;
		v->slot = XG_CNT_DROP_BASE + (mbans[j].reason < XG_REASON__MAX ?
						      mbans[j].reason :
						      XG_REASON_NONE);
		return;
	}
	v->slot = XG_CNT__MAX;
}

static void fail(const char *what, const struct verdict *v, __u32 retval,
		 size_t len)
{
	fprintf(stderr,
		"fuzz_xdp: invariant broken: %s (len %zu, verdict %u, expected action %d slot %u, source known %d)\n",
		what, len, retval, v->action, v->slot, v->known);
	abort();
}

int LLVMFuzzerTestOneInput(const __u8 *data, size_t len)
{
	static __u8 out[FRAME_MAX + 256];
	struct xg_counter glob[XG_CNT__MAX];
	__u64 sp0 = 0, sb0 = 0, sp1, sb1;
	struct verdict v;
	__u32 i, moved = XG_CNT__MAX;
	int err, n_moved = 0;

	if (len > FRAME_MAX)
		return -1; /* not a frame the kernel would run: do not keep */
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data,
		    .data_size_in = len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);

	model(data, len, &v);
	if (v.known)
		read_src(v.src, &sp0, &sb0);
	err = bpf_prog_test_run_opts(fd_prog, &opts);
	n_frames++;
	read_glob(glob);
	if (err) {
		/* The kernel refuses frames shorter than Ethernet (EINVAL). */
		if (!(err == -EINVAL && len < ETH_HLEN))
			fail("BPF_PROG_TEST_RUN failed", &v, 0, len);
		if (memcmp(glob, glob_prev, sizeof(glob)))
			fail("a refused frame moved a counter", &v, 0, len);
		n_refused++;
		return 0;
	}
	if (opts.retval != XDP_PASS && opts.retval != XDP_DROP)
		fail("verdict is neither XDP_PASS nor XDP_DROP", &v,
		     opts.retval, len);
	if ((int)opts.retval != v.action)
		fail(v.action == XDP_DROP ?
			     "a banned source passed" :
			     "dropped a frame whose source is not banned",
		     &v, opts.retval, len);
	if (opts.data_size_out != len || memcmp(out, data, len))
		fail("the program changed the frame", &v, opts.retval, len);

	for (i = 0; i < XG_CNT__MAX; i++) {
		if (!memcmp(&glob[i], &glob_prev[i], sizeof(glob[i])))
			continue;
		n_moved++;
		moved = i;
		if (glob[i].pkts != glob_prev[i].pkts + 1 ||
		    glob[i].bytes != glob_prev[i].bytes + len)
			fail("a global slot moved by other than 1 packet and the frame length",
			     &v, opts.retval, len);
	}
	memcpy(glob_prev, glob, sizeof(glob));
	if (n_moved != 1)
		fail("not exactly one global slot moved", &v, opts.retval, len);
	if (v.slot == XG_CNT__MAX ?
		    moved != XG_CNT_PASS && moved != XG_CNT_MALFORMED :
		    moved != v.slot)
		fail("the frame was counted in the wrong slot", &v, opts.retval,
		     len);

	if (!v.known) {
		n_unknown++;
		return 0;
	}
	read_src(v.src, &sp1, &sb1);
	if (v.slot == XG_CNT__MAX) {
		n_counted++;
		if (sp1 != sp0 + 1 || sb1 != sb0 + len)
			fail("the source's src_stats did not grow by 1 packet and the length",
			     &v, opts.retval, len);
	} else {
		if (v.action == XDP_DROP)
			n_drop++;
		else
			n_allowed++;
		if (sp1 != sp0 || sb1 != sb0)
			fail("a dropped or allowlisted source was counted", &v,
			     opts.retval, len);
	}
	return 0;
}
