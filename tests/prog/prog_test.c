// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Runs the verdict table and truncation sweeps through BPF_PROG_TEST_RUN. */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "prog_test.h"
#include "xdpguard.skel.h"

#define NS_PER_SEC 1000000000ULL
#define BAN_SLACK_NS (60 * NS_PER_SEC)
#define DIAG_MAX 2048
#define ETH_HDR_LEN 14

static struct xdpguard_bpf *skel;
static int ncpu;
static int fd_prog, fd_allow, fd_bans, fd_src, fd_dst, fd_glob, fd_pfx, fd_meta;
static int n_tests, n_failed;
static char diag[DIAG_MAX];
static size_t diag_len;

/* Collects one "# ..." diagnostic line for the current test. */
void fail(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n = snprintf(diag + diag_len, DIAG_MAX - diag_len, "# %s\n", line);
	/* Past the buffer's end, keep what fits: a failure stays a failure. */
	diag_len += n < (int)(DIAG_MAX - diag_len) ? (size_t)n :
						     DIAG_MAX - 1 - diag_len;
}

/* TAP: a failing row with a known bug is "not ok ... # TODO". */
void report(const char *name, const char *todo)
{
	int ok = diag_len == 0;

	n_tests++;
	printf("%sok %d - %s", ok ? "" : "not ", n_tests, name);
	if (todo)
		printf(" # TODO %s", todo);
	printf("\n%s", diag);
	if (diag_len && diag[diag_len - 1] != '\n')
		printf("\n");
	if (ok && todo)
		printf("# passes now: the bug is fixed, drop the row's .todo\n");
	if (!ok && !todo)
		n_failed++;
	diag_len = 0;
	diag[0] = '\0';
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* The program's clock (bpf_ktime_get_coarse_ns()): up to a tick behind. */
__u64 coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* What every user space writer does after changing allow, bans, prefixes. */
int bump_gen(int fd_gen)
{
	__u32 zero = 0;
	__u64 g;

	if (bpf_map_lookup_elem(fd_gen, &zero, &g))
		return -errno;
	g++;
	return bpf_map_update_elem(fd_gen, &zero, &g, BPF_ANY) ? -errno : 0;
}

static int map_clear(int fd, size_t key_size)
{
	__u8 key[64];
	int err;

	if (key_size > sizeof(key))
		return -E2BIG;
	while (!bpf_map_get_next_key(fd, NULL, key)) {
		err = bpf_map_delete_elem(fd, key);
		if (err)
			return err;
	}
	return 0;
}

static struct xg_src_bucket *src_map(int fd, size_t *len, __u32 *nb)
{
	struct bpf_map_info info = {};
	__u32 il = sizeof(info);
	void *p;

	if (bpf_obj_get_info_by_fd(fd, &info, &il))
		return NULL;
	*nb = info.max_entries;
	*len = (size_t)info.max_entries * sizeof(struct xg_src_bucket);
	p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

int src_lookup(int fd, const __u8 a[16], struct xg_src_stats *out, int *count)
{
	struct xg_src_bucket *t;
	__u32 nb, i, w;
	int found = 0;
	__u64 k[2];
	size_t len;

	*count = 0;
	t = src_map(fd, &len, &nb);
	if (!t)
		return -1;
	memcpy(k, a, sizeof(k));
	for (i = 0; i < nb; i++)
		for (w = 0; w < XG_SRC_WAYS; w++) {
			struct xg_src_slot *sl = &t[i].w[w];

			if (!sl->s.first_ns)
				continue;
			(*count)++;
			if (sl->key[0] != k[0] || sl->key[1] != k[1])
				continue;
			/* Only where the kernel looks for it. */
			if (i != xg_src_bucket(k, 0, nb - 1))
				fail("source in bucket %u, not its own %u", i,
				     xg_src_bucket(k, 0, nb - 1));
			*out = sl->s;
			found++;
		}
	munmap(t, len);
	if (found > 1)
		fail("source in %d slots", found);
	return found > 0;
}

int src_find(int fd, const __u8 a[16], struct xg_src_stats *out)
{
	struct bpf_map_info info = {};
	__u32 il = sizeof(info), b;
	struct xg_src_bucket bk;
	__u64 k[2];
	int w;

	if (bpf_obj_get_info_by_fd(fd, &info, &il))
		return -1;
	memcpy(k, a, sizeof(k));
	b = xg_src_bucket(k, 0, info.max_entries - 1);
	if (bpf_map_lookup_elem(fd, &b, &bk))
		return -1;
	w = xg_src_way(&bk, k);
	if (w < 0)
		return 0;
	*out = bk.w[w].s;
	return 1;
}

int src_clear(int fd)
{
	struct xg_src_bucket *t;
	size_t len;
	__u32 nb;

	t = src_map(fd, &len, &nb);
	if (!t)
		return -errno;
	memset(t, 0, len);
	munmap(t, len);
	return 0;
}

static int map_count(int fd)
{
	__u8 key[64], next[64];
	int n = 0;

	if (bpf_map_get_next_key(fd, NULL, next))
		return 0;
	do {
		memcpy(key, next, sizeof(key));
		n++;
	} while (!bpf_map_get_next_key(fd, key, next));
	return n;
}

/* Every row starts from empty maps and zero counters. */
static int reset_maps(void)
{
	struct xg_counter zero[ncpu];
	__u32 i;
	int err;

	err = map_clear(fd_allow, sizeof(struct xg_lpm_key));
	err = err ?: map_clear(fd_bans, sizeof(struct xg_addr));
	err = err ?: src_clear(fd_src);
	err = err ?: map_clear(fd_dst, sizeof(struct xg_addr));
	err = err ?: map_clear(fd_pfx, sizeof(struct xg_lpm_key));
	if (!err) {
		struct xg_meta m = {};

		i = 0;
		err = bpf_map_update_elem(fd_meta, &i, &m, BPF_ANY);
	}
	memset(zero, 0, sizeof(zero));
	for (i = 0; !err && i < XG_CNT__MAX; i++)
		err = bpf_map_update_elem(fd_glob, &i, zero, BPF_ANY);
	return err;
}

static int prefix_parse(const char *s, struct xg_lpm_key *k)
{
	char buf[64], *slash;
	int fam, len;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	fam = addr_parse(buf, k->a);
	len = atoi(slash + 1);
	if (!fam || len < 0 || len > (fam == 4 ? 32 : 128))
		return -EINVAL;
	k->prefixlen = fam == 4 ? 96 + len : len;
	return 0;
}

static __u64 expiry(int kind)
{
	if (kind == BAN_LIVE)
		return now_ns() + BAN_SLACK_NS;
	if (kind == BAN_EXPIRED)
		return now_ns() - BAN_SLACK_NS;
	return 0;
}

static int apply_prefixes(const struct pre *pre)
{
	struct xg_meta m = {};
	struct xg_lpm_key lk;
	__u32 zero = 0;
	int i, err, n = 0;

	for (i = 0; i < PRE_PREFIXES && pre->pfx[i].prefix; i++) {
		struct xg_prefix_ban v = {
			.ban = { .expires_ns = expiry(pre->pfx[i].kind),
				 .created_ns = now_ns(),
				 .reason = pre->pfx[i].reason },
			.owners = XG_OWNER_DIRECT,
		};

		err = prefix_parse(pre->pfx[i].prefix, &lk);
		if (err)
			return err;
		v.prefixlen = lk.prefixlen;
		v.direct_expires_ns = v.ban.expires_ns;
		if (bpf_map_update_elem(fd_pfx, &lk, &v, BPF_ANY))
			return -errno;
		n++;
	}
	m.prefix_entries = pre->gate_off ? 0 : n;
	if (n && bpf_map_update_elem(fd_meta, &zero, &m, BPF_ANY))
		return -errno;
	return 0;
}

static int apply_pre(const struct pre *pre, const __u8 src[16])
{
	struct xg_allow allow = { .created_ns = now_ns() };
	struct xg_ban ban = { .created_ns = now_ns(), .reason = pre->reason };
	struct xg_addr key;
	struct xg_lpm_key lk;
	int err;

	if (pre->allow) {
		err = prefix_parse(pre->allow, &lk);
		if (err)
			return err;
		err = bpf_map_update_elem(fd_allow, &lk, &allow, BPF_ANY);
		if (err)
			return err;
	}
	err = apply_prefixes(pre);
	if (err)
		return err;
	if (pre->ban == NO_BAN)
		return 0;
	memcpy(key.a, src, 16);
	if (pre->ban_addr && !addr_parse(pre->ban_addr, key.a))
		return -EINVAL;
	ban.expires_ns = expiry(pre->ban);
	return bpf_map_update_elem(fd_bans, &key, &ban, BPF_ANY);
}

/* Runs the program once; checks it returned and left the frame alone. */
static int run_frame(const __u8 *data, size_t len, __u32 *retval)
{
	__u8 out[FRAME_MAX + 64];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data,
		    .data_size_in = len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);
	int err;

	memset(out, 0x5a, sizeof(out));
	err = bpf_prog_test_run_opts(fd_prog, &opts);
	if (err)
		return err;
	*retval = opts.retval;
	if (opts.data_size_out != len)
		fail("frame length: expected %zu, got %u", len,
		     opts.data_size_out);
	else if (memcmp(out, data, len))
		fail("the program modified the frame");
	return 0;
}

static void check_global(__u32 slot, __u64 len)
{
	struct xg_counter vals[ncpu];
	__u64 pkts, bytes;
	__u32 i;
	int c;

	for (i = 0; i < XG_CNT__MAX; i++) {
		if (bpf_map_lookup_elem(fd_glob, &i, vals)) {
			fail("global_stats[%u]: lookup failed", i);
			continue;
		}
		for (pkts = bytes = 0, c = 0; c < ncpu; c++) {
			pkts += vals[c].pkts;
			bytes += vals[c].bytes;
		}
		if (i == slot && (pkts != 1 || bytes != len))
			fail("global_stats[%u]: expected 1 pkt %llu bytes, got %llu pkts %llu bytes",
			     i, (unsigned long long)len,
			     (unsigned long long)pkts,
			     (unsigned long long)bytes);
		if (i != slot && (pkts || bytes))
			fail("global_stats[%u]: expected untouched (slot %u), got %llu pkts %llu bytes",
			     i, slot, (unsigned long long)pkts,
			     (unsigned long long)bytes);
	}
}

static void check_u64(const char *what, __u64 exp, __u64 got)
{
	if (exp != got)
		fail("%s: expected %llu, got %llu", what,
		     (unsigned long long)exp, (unsigned long long)got);
}

static void check_sketch(const char *what, __u16 port, const __u64 *got)
{
	__u64 exp[XG_PORT_WORDS] = {};
	__u32 bit = xg_port_bit(port);
	int i;

	if (port)
		exp[bit / 64] = 1ULL << (bit % 64);
	for (i = 0; i < XG_PORT_WORDS; i++)
		if (exp[i] != got[i])
			fail("%s word %d: expected %#llx (port %u), got %#llx",
			     what, i, (unsigned long long)exp[i], port,
			     (unsigned long long)got[i]);
}

static void check_src(const struct expect *e, const __u8 src[16], __u64 len,
		      __u64 t0, __u64 t1)
{
	struct xg_src_stats s = {};
	int n, found = src_lookup(fd_src, src, &s, &n);

	if (!e->counted) {
		if (n)
			fail("src_stats: expected no entry, got %d", n);
		return;
	}
	if (found != 1) {
		fail("src_stats: expected an entry for the source, got none (%d entries)",
		     n);
		return;
	}
	if (n != 1)
		fail("src_stats: expected 1 entry, got %d", n);
	check_u64("src pkts", 1, s.pkts);
	check_u64("src bytes", len, s.bytes);
	check_u64("src syns", e->syns, s.syns);
	check_u64("src icmp_echo", e->icmp_echo, s.icmp_echo);
	check_u64("src udp", e->udp, s.udp);
	check_sketch("src tcp_ports", e->tcp_port, s.tcp_ports);
	check_sketch("src udp_ports", e->udp_port, s.udp_ports);
	if (s.first_ns < t0 || s.first_ns > t1 || s.last_ns != s.first_ns)
		fail("src first_ns %llu / last_ns %llu outside the run [%llu, %llu]",
		     (unsigned long long)s.first_ns,
		     (unsigned long long)s.last_ns, (unsigned long long)t0,
		     (unsigned long long)t1);
	check_u64("src port_epoch", s.last_ns >> skel->rodata->port_win_shift,
		  s.port_epoch);
}

static void check_dst(const struct expect *e, const __u8 dst[16])
{
	struct xg_dst_stats vals[ncpu];
	__u64 syns = 0, echo = 0;
	int n = map_count(fd_dst), c;

	if (!e->dst_syns && !e->dst_echo) {
		if (n)
			fail("dst_stats: expected no entry, got %d", n);
		return;
	}
	if (bpf_map_lookup_elem(fd_dst, dst, vals)) {
		fail("dst_stats: expected an entry for the destination, got none (%d entries)",
		     n);
		return;
	}
	if (n != 1)
		fail("dst_stats: expected 1 entry, got %d", n);
	for (c = 0; c < ncpu; c++) {
		syns += vals[c].syns;
		echo += vals[c].icmp_echo;
	}
	check_u64("dst syns", e->dst_syns, syns);
	check_u64("dst icmp_echo", e->dst_echo, echo);
}

static const char *verdict_name(__u32 v)
{
	switch (v) {
	case XDP_ABORTED:
		return "XDP_ABORTED";
	case XDP_DROP:
		return "XDP_DROP";
	case XDP_PASS:
		return "XDP_PASS";
	case XDP_TX:
		return "XDP_TX";
	case XDP_REDIRECT:
		return "XDP_REDIRECT";
	}
	return "?";
}

/*
 * BPF_PROG_TEST_RUN refuses XDP input shorter than an Ethernet header with
 * -EINVAL (net/bpf/test_run.c; seen on 6.18), so frames of 0..13 bytes never
 * reach the program. That refusal is accepted, and then no counter may move;
 * should a kernel ever run them, they must pass as malformed like any other
 * cut Ethernet header.
 */
/* One frame from clean maps through every expectation; 1 if refused. */
static int check_frame(const struct pkt *p, const struct pre *pre,
		       const struct expect *e, const __u8 *data, size_t len)
{
	__u8 src[16] = {}, dst[16] = {};
	__u64 t0, t1;
	__u32 retval;
	int err;

	if (p->src && (!addr_parse(p->src, src) || !addr_parse(p->dst, dst))) {
		fail("bad address in the table");
		return 0;
	}
	err = reset_maps();
	if (!err && pre)
		err = apply_pre(pre, src);
	err = err ?: bump_gen(bpf_map__fd(skel->maps.verdict_gen));
	if (err) {
		fail("setting up maps: %s", strerror(-err));
		return 0;
	}
	t0 = coarse_ns();
	err = run_frame(data, len, &retval);
	t1 = now_ns();
	if (err == -EINVAL && len < ETH_HDR_LEN) {
		check_global(XG_CNT__MAX, 0);
		return 1;
	}
	if (err) {
		fail("BPF_PROG_TEST_RUN of %zu bytes: %s", len, strerror(-err));
		return 0;
	}
	if (retval != (__u32)e->verdict)
		fail("verdict: expected %s, got %s", verdict_name(e->verdict),
		     verdict_name(retval));
	check_global(e->slot, len);
	check_src(e, src, len, t0, t1);
	check_dst(e, dst);
	return 0;
}

static void run_rows(void)
{
	struct frame f;
	int i;

	for (i = 0; i < n_rows; i++) {
		if (pkt_build(&rows[i].pkt, &f))
			fail("cannot build the frame");
		else
			check_frame(&rows[i].pkt, &rows[i].pre, &rows[i].exp,
				    f.b, f.len);
		report(rows[i].name, rows[i].todo);
	}
}

/*
 * A cut in the Ethernet, VLAN or IP header is malformed with the source
 * unknown. Once the fixed IPv6 header is whole the source is known, so a cut
 * in its extension headers, like a cut in the transport header, is malformed
 * but counted (and subject to bans), with nothing learnt from L4; a cut in
 * the payload behaves as the full frame.
 */
static void run_sweep(const struct sweep *sw)
{
	const struct expect l3_cut = { .verdict = XDP_PASS,
				       .slot = XG_CNT_MALFORMED };
	const struct expect l4_cut = { .verdict = XDP_PASS,
				       .slot = XG_CNT_MALFORMED,
				       .counted = 1 };
	const struct expect *e;
	const char *what;
	struct frame f;
	char name[160];
	size_t len;

	if (pkt_build(&sw->pkt, &f) || !f.l4_off) {
		fail("cannot build the frame");
		snprintf(name, sizeof(name), "sweep %s", sw->name);
		report(name, NULL);
		return;
	}
	for (len = 0; len < f.len; len++) {
		if (len < f.l4_off &&
		    !(f.family == 6 && len >= f.l3_off + 40)) {
			e = &l3_cut;
			what = len < f.l3_off ? "L2 cut" : "L3 cut";
		} else if (len < f.l4_off) {
			e = &l4_cut;
			what = "IPv6 extension header cut";
		} else if (len < f.l4_off + f.l4_min) {
			e = &l4_cut;
			what = "L4 cut";
		} else {
			e = &sw->full;
			what = "payload cut";
		}
		if (check_frame(&sw->pkt, NULL, e, f.b, len))
			what = "refused by BPF_PROG_TEST_RUN";
		snprintf(name, sizeof(name), "sweep %s: %zu of %zu bytes, %s",
			 sw->name, len, f.len, what);
		report(name, NULL);
	}
}

/*
 * BPF_PROG_TEST_RUN runs on the calling CPU: the per-CPU verdict cache,
 * admission budget and sketch a case builds up must stay the ones it
 * meets, so the process stays where it started.
 */
static void pin_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		printf("# cannot stay on CPU %d: %s\n", cpu, strerror(errno));
}

int main(void)
{
	int i, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	pin_cpu();
	skel = xdpguard_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		printf("Bail out! loading the XDP program: %s\n",
		       strerror(-err));
		return 1;
	}
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0) {
		printf("Bail out! counting possible CPUs: %s\n",
		       strerror(-ncpu));
		xdpguard_bpf__destroy(skel);
		return 1;
	}
	fd_prog = bpf_program__fd(skel->progs.xdpguard_prog);
	fd_allow = bpf_map__fd(skel->maps.allow);
	fd_bans = bpf_map__fd(skel->maps.bans);
	fd_src = bpf_map__fd(skel->maps.src_stats);
	fd_dst = bpf_map__fd(skel->maps.dst_stats);
	fd_glob = bpf_map__fd(skel->maps.global_stats);
	fd_pfx = bpf_map__fd(skel->maps.ban_prefixes);
	fd_meta = bpf_map__fd(skel->maps.meta);

	run_rows();
	for (i = 0; i < n_sweeps; i++)
		run_sweep(&sweeps[i]);
	run_scan_trip();
	run_vcache();
	run_admit();
	run_samples();

	printf("1..%d\n", n_tests);
	xdpguard_bpf__destroy(skel);
	return n_failed ? 1 : 0;
}
