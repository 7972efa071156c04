// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The port-scan fast path: with scan_trip_bits set (as the daemon sets it),
 * the program bans a source on the packet that brings its SYN or UDP-probe
 * port sketch to that many bits, and drops what follows. A load of its
 * own, rodata set before load; BPF_PROG_TEST_RUN runs on one CPU, so that
 * CPU's sketch is the source's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "prog_test.h"
#include "xdpguard.skel.h"

#define TRIP 3
#define TTL_NS (60 * 1000000000ULL)
#define NPORTS 8

struct trip_case {
	const char *name;
	const char *src;
	__u8 proto, flags;
	__u16 sport; /* 0: each probe from its own high port */
	const char *allow; /* allowlisted prefix */
	__u32 trip; /* scan_trip_bits of the load */
	int banned_at; /* probe (1-based) that bans; 0 = none of NPORTS */
};

static const struct trip_case cases[] = {
	{ "SYNs to 3 ports ban on the 3rd", "10.9.9.9", 6, F_SYN, 0, NULL, TRIP,
	  TRIP },
	{ "v6 SYNs to 3 ports ban on the 3rd", "2001:db8:9::9", 6, F_SYN, 0,
	  NULL, TRIP, TRIP },
	{ "SYN+ECE+CWR probes count as SYNs", "10.9.9.9", 6,
	  F_SYN | F_ECE | F_CWR, 0, NULL, TRIP, TRIP },
	{ "UDP probes ban on the 3rd", "10.9.9.9", 17, 0, 0, NULL, TRIP, TRIP },
	{ "UDP replies (from port 53) never", "10.9.9.9", 17, 0, 53, NULL, TRIP,
	  0 },
	{ "SYN-ACKs (answering a scan) never", "10.9.9.9", 6, F_SYN | F_ACK, 0,
	  NULL, TRIP, 0 },
	{ "ACKs never", "10.9.9.9", 6, F_ACK, 0, NULL, TRIP, 0 },
	{ "an allowlisted scanner never", "10.9.9.9", 6, F_SYN, 0,
	  "10.9.0.0/16", TRIP, 0 },
	{ "off (0, the dry run) never", "10.9.9.9", 6, F_SYN, 0, NULL, 0, 0 },
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* NPORTS high ports (a reply from 53 goes to one) with distinct bits. */
static void pick_ports(__u16 *ports)
{
	__u64 used[XG_PORT_WORDS] = {};
	__u16 p;
	int n = 0;

	for (p = 2000; n < NPORTS; p++) {
		__u32 b = xg_port_bit(p);

		if (used[b / 64] & 1ULL << (b % 64))
			continue;
		used[b / 64] |= 1ULL << (b % 64);
		ports[n++] = p;
	}
}

static int allow_add(int fd, const char *prefix)
{
	struct xg_lpm_key k = {};
	struct xg_allow v = {};
	char buf[64], *slash;
	int fam;

	snprintf(buf, sizeof(buf), "%s", prefix);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	fam = addr_parse(buf, k.a);
	if (!fam)
		return -EINVAL;
	k.prefixlen = atoi(slash + 1) + (fam == 4 ? 96 : 0);
	return bpf_map_update_elem(fd, &k, &v, BPF_ANY) ? -errno : 0;
}

static void run_case(const struct trip_case *tc, const __u16 *ports)
{
	struct xdpguard_bpf *skel;
	struct xg_addr src = {};
	struct xg_ban ban;
	struct frame f;
	__u64 t0, t1;
	int i, fd_prog, fd_bans, banned_at = 0;

	skel = xdpguard_bpf__open();
	if (!skel) {
		fail("cannot open the object: %s", strerror(errno));
		return;
	}
	skel->rodata->scan_trip_bits = tc->trip;
	skel->rodata->scan_ban_ttl_ns = TTL_NS;
	if (xdpguard_bpf__load(skel)) {
		fail("cannot load the object: %s", strerror(errno));
		goto out;
	}
	fd_prog = bpf_program__fd(skel->progs.xdpguard_prog);
	fd_bans = bpf_map__fd(skel->maps.bans);
	addr_parse(tc->src, src.a);
	if (tc->allow && allow_add(bpf_map__fd(skel->maps.allow), tc->allow)) {
		fail("cannot allowlist %s", tc->allow);
		goto out;
	}

	for (i = 0; i < NPORTS; i++) {
		struct pkt p = { .src = tc->src,
				 .dst = strchr(tc->src, ':') ? "2001:db8::1" :
							       "192.0.2.1",
				 .proto = tc->proto,
				 .flags = tc->flags,
				 .sport = tc->sport ?: 40000 + i,
				 .dport = ports[i] };
		LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = 1);
		int want = banned_at ? XDP_DROP : XDP_PASS;

		if (pkt_build(&p, &f)) {
			fail("cannot build probe %d", i + 1);
			goto out;
		}
		opts.data_in = f.b;
		opts.data_size_in = f.len;
		t0 = coarse_ns();
		if (bpf_prog_test_run_opts(fd_prog, &opts)) {
			fail("probe %d: test run failed: %s", i + 1,
			     strerror(errno));
			goto out;
		}
		t1 = mono_ns();
		if ((int)opts.retval != want)
			fail("probe %d: verdict %u, expected %s", i + 1,
			     opts.retval, banned_at ? "drop" : "pass");
		if (banned_at || bpf_map_lookup_elem(fd_bans, &src, &ban))
			continue;
		/* Banned by this probe: now, for the TTL, as a port scan. */
		banned_at = i + 1;
		if (ban.created_ns < t0 || ban.created_ns > t1)
			fail("ban created_ns %llu outside the run [%llu, %llu]",
			     (unsigned long long)ban.created_ns,
			     (unsigned long long)t0, (unsigned long long)t1);
		if (ban.expires_ns != ban.created_ns + TTL_NS)
			fail("ban expires %llu ns after creation, expected %llu",
			     (unsigned long long)(ban.expires_ns -
						  ban.created_ns),
			     (unsigned long long)TTL_NS);
		/* repeat 0: made here, for the daemon to confirm. */
		if (ban.reason != XG_REASON_PORT_SCAN || ban.repeat != 0)
			fail("ban reason %u repeat %u, expected %u and 0",
			     ban.reason, ban.repeat, XG_REASON_PORT_SCAN);
	}
	if (banned_at != tc->banned_at)
		fail("banned at probe %d, expected %d (0 = never)", banned_at,
		     tc->banned_at);
out:
	xdpguard_bpf__destroy(skel);
}

void run_scan_trip(void)
{
	__u16 ports[NPORTS];
	char name[128];
	size_t i;

	pick_ports(ports);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_case(&cases[i], ports);
		snprintf(name, sizeof(name), "scan trip: %s", cases[i].name);
		report(name, NULL);
	}
}
