/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The daemon's observability: Prometheus metrics, the event log file and
 * syslog, host pressure, active alarms and drop samples. daemon.c calls in
 * at a few points (open, start, each event, each poll, SIGHUP, close).
 */
#ifndef XG_OBS_H
#define XG_OBS_H

#include <stdbool.h>
#include <stddef.h>
#include "detect.h"

struct xg_obs_cfg {
	char metrics[64]; /* ADDR:PORT; "" = off */
	char log_file[256]; /* "" = off */
	char pcap[256]; /* "" = off */
	bool syslog;
	__u32 pressure_pct; /* softirq share of a CPU that is saturation */
	__u32 pressure_secs; /* for this many consecutive seconds */
};

void xg_obs_defaults(struct xg_obs_cfg *c);
/* Checks what can be checked before running (the metrics address). */
int xg_obs_check(const struct xg_obs_cfg *c);

struct xg_obs;
struct xdpguard_bpf;

/*
 * Opens what can fail on the operator's input (log file, pcap file, the
 * metrics port), before anything is attached, so a mistake changes nothing.
 * realert_ns sets how long a detection stays an active alarm; sample_rate
 * caps the drop samples kept per second (0: no samples).
 */
int xg_obs_open(struct xg_obs **out, const struct xg_obs_cfg *c,
		__u64 realert_ns, __u32 sample_rate);
/* Once the program is loaded: starts the metrics server, the sample ring. */
int xg_obs_start(struct xg_obs *o, struct xdpguard_bpf *skel);
/* The drop-sample ring buffer's fd for poll(), or -1. */
int xg_obs_fd(const struct xg_obs *o);
/* The fd is readable: take the samples. */
void xg_obs_consume(struct xg_obs *o);
void xg_obs_event(struct xg_obs *o, const struct xg_event *ev);
void xg_obs_unban(struct xg_obs *o);
/*
 * After each poll: t0 when it began, src (the whole source table; may be
 * reordered) and the table sizes. Samples host pressure once a second and
 * publishes alarms and samples for the CLI.
 */
void xg_obs_polled(struct xg_obs *o, __u64 t0, struct xg_src_sample *src,
		   size_t nsrc, size_t ndst);
/* SIGHUP: reopen the log and pcap files (logrotate). */
void xg_obs_reopen(struct xg_obs *o);
void xg_obs_close(struct xg_obs *o);

#endif /* XG_OBS_H */
