/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The detection engine: cumulative kernel counters and a clock in, alerts
 * and ban decisions out. Pure (no BPF, no I/O, no clock of its own), so it
 * is tested with synthetic counter series and a fake clock.
 */
#ifndef XG_DETECT_H
#define XG_DETECT_H

#include <stdbool.h>
#include <stddef.h>

#include "xdpguard.h"

/* One traffic source, cumulative since its map entry was created. */
struct xg_src_sample {
	struct xg_addr addr;
	__u64 pkts, bytes;
	__u32 syns, icmp_echo, udp; /* wrap at 2^32 */
	/* Estimated distinct destination ports in the current port window. */
	__u32 tcp_ports, udp_ports;
	__u64 first_ns, last_ns;
};

/* Cumulative per destination, so floods from forged sources still show. */
struct xg_dst_sample {
	struct xg_addr addr;
	__u64 syns, icmp_echo;
};

/* ESTABLISHED TCP sockets per remote address (sock_diag). */
struct xg_conn_count {
	struct xg_addr addr;
	__u32 established;
};

/*
 * Thresholds trip at >= threshold. Counts "within W" are sums of the
 * per-poll deltas of polls at t with now - W < t <= now; see detect.c for
 * the resolution of that window.
 */
struct xg_detect_cfg {
	__u32 scan_ports; /* distinct dst ports in the port window */
	__u32 syn_rate; /* SYNs from one source within syn_window */
	__u64 syn_window_ns;
	/*
	 * A source whose SYNs are below this share of its packets within
	 * syn_window completes its handshakes: many SYNs then mean a
	 * connection flood, not a SYN flood.
	 */
	double syn_ratio;
	__u32 icmp_rate; /* echo requests from one source within icmp_window */
	__u64 icmp_window_ns;
	__u32 conn_rate; /* new connections (SYNs) within conn_window */
	__u64 conn_window_ns;
	__u32 conn_max; /* established sockets from one address; 0 = off */
	/* SYNs to one destination within syn_window, no source at syn_rate */
	__u32 spoof_syn_rate;
	__u64 ban_ttl_ns; /* first ban */
	__u64 ban_ttl_max_ns; /* cap of the doubling */
	/* A ban starting within this of the end of the previous one doubles */
	__u64 repeat_window_ns;
	__u64 realert_ns; /* same (source or victim, kind) reported once per */
	bool dry_run; /* alerts only, never ban events */
};

enum xg_event_type {
	XG_EV_ALERT,
	XG_EV_BAN,
	/*
	 * Not emitted by the detector: bans expire in the kernel on their own
	 * and the daemon's ban sweep reports them (and calls
	 * xg_detector_forget()). Here for the output layer.
	 */
	XG_EV_UNBAN,
	XG_EV_SUPPRESSED, /* detected, but the source is allowlisted */
};

enum xg_kind {
	XG_KIND_PORT_SCAN,
	XG_KIND_SYN_FLOOD,
	XG_KIND_SYN_FLOOD_SPOOFED,
	XG_KIND_ICMP_FLOOD,
	XG_KIND_CONN_FLOOD,
	XG_KIND__MAX,
};

struct xg_event {
	enum xg_event_type type;
	enum xg_kind kind;
	struct xg_addr src; /* offender */
	bool has_src;
	struct xg_addr dst; /* victim of a spoofed flood */
	bool has_dst;
	__u64 value, threshold; /* measured value, the threshold it reached */
	__u64 window_ns; /* 0: the kernel's port window, or a snapshot */
	const char *proto; /* "tcp"/"udp" for port_scan, else NULL */
	__u64 ttl_ns; /* XG_EV_BAN: ban_ttl * 2^(repeat - 1), capped */
	__u32 repeat; /* XG_EV_BAN: 1 = first ban within repeat_window */
	__u32 reason; /* enum xg_reason matching the kind */
	__u64 ts_ns; /* the poll time */
};

const char *xg_kind_name(enum xg_kind k);
const char *xg_event_type_name(enum xg_event_type t);
/* The kind whose bans carry this enum xg_reason; NULL for none (manual). */
const char *xg_reason_kind(__u32 reason);

typedef void (*xg_emit_fn)(const struct xg_event *ev, void *ctx);
/* True if a is allowlisted: it is then reported, never banned. */
typedef bool (*xg_allowed_fn)(const struct xg_addr *a, void *ctx);

void xg_detect_defaults(struct xg_detect_cfg *c);

/*
 * Linear-counting estimate of distinct ports from a port sketch: exact for
 * tiny counts, saturating (m ln m) when every bit is set.
 */
unsigned int xg_ports_estimate(const __u64 words[XG_PORT_WORDS]);

/*
 * The fewest set bits of one port sketch whose estimate reaches scan_ports:
 * the XDP program's port-scan trip. 0 if no sketch can reach it.
 */
unsigned int xg_scan_trip_bits(unsigned int scan_ports);

struct xg_detector;

/* Copies cfg; NULL with errno EINVAL (bad cfg) or ENOMEM. */
struct xg_detector *xg_detector_new(const struct xg_detect_cfg *cfg);
void xg_detector_free(struct xg_detector *d);

/*
 * One poll: now_ns is CLOCK_MONOTONIC, never decreasing between calls. src
 * must be the whole source map (a source missing from it counts as gone
 * from the kernel); conn may be empty on polls without a socket snapshot.
 * Events go to emit, in order, before this returns. allowed may be NULL.
 */
void xg_detector_poll(struct xg_detector *d, __u64 now_ns,
		      const struct xg_src_sample *src, size_t nsrc,
		      const struct xg_dst_sample *dst, size_t ndst,
		      const struct xg_conn_count *conn, size_t nconn,
		      xg_allowed_fn allowed, xg_emit_fn emit, void *ctx);

/* The operator unbanned a: judge it afresh, but keep its repeat history. */
void xg_detector_forget(struct xg_detector *d, const struct xg_addr *a);

/*
 * A ban of a that outlived the detector (a restarted daemon finds it in the
 * map): its repeat count and end, so the next offense escalates from there.
 */
void xg_detector_seed(struct xg_detector *d, const struct xg_addr *a,
		      __u32 repeat, __u64 ban_end_ns);

/*
 * A ban the XDP program made on its own (the port-scan trip, kind) that
 * the detector did not decide, its evidence out of sight (the sketch of a
 * new port window, an evicted entry): reported and decided as a detection
 * at the threshold (alert, ban with escalation), unless the detector holds
 * a live ban for a already.
 */
void xg_detector_adopt(struct xg_detector *d, __u64 now_ns,
		       const struct xg_addr *a, enum xg_kind kind,
		       xg_allowed_fn allowed, xg_emit_fn emit, void *ctx);

/*
 * The reason of a's latest ban by the detector if it ended by now_ns and
 * its end was never reported (xg_detector_forget()): the XDP program
 * banned a again before the sweep saw the old ban expire. Else 0.
 */
__u32 xg_detector_ended(const struct xg_detector *d, const struct xg_addr *a,
			__u64 now_ns);

/* True if a has a live ban in the kernel. */
typedef bool (*xg_banned_fn)(const struct xg_addr *a, void *ctx);

/*
 * Checks the bans the detector decided and holds live against the kernel's
 * table: one gone from it (`xdpguard unban`) is forgotten as by
 * xg_detector_forget(), so the source's next offense is judged (a repeat)
 * instead of being taken for traffic trickling in before its ban.
 */
void xg_detector_sync_bans(struct xg_detector *d, __u64 now_ns,
			   xg_banned_fn banned, void *ctx);

/* Sources the detector holds state for (stats, tests). */
size_t xg_detector_tracked(const struct xg_detector *d);

#endif /* XG_DETECT_H */
