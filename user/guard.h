/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The daemon's duties around its ban lists: blocklists loaded at start and
 * on SIGHUP, the state file restored at start and saved on change and on
 * exit, prefix bans swept, IPv6 offenders banned per prefix, bans widened
 * to their covering prefix. daemon.c calls in at start, for each ban the
 * detector decides, once per poll, and at exit.
 */
#ifndef XG_GUARD_H
#define XG_GUARD_H

#include <stdbool.h>
#include <net/if.h>
#include "detect.h"
#include "maps.h"
#include "prefixes.h"

#define XG_BLOCKLISTS_MAX 16
#define XG_PATH_LEN 256

struct xg_guard_cfg {
	char state_file[XG_PATH_LEN]; /* "" = the default; "none" = off */
	__u64 state_interval_ns; /* a change is saved within this */
	bool keep_attached; /* on exit, leave the program attached */
	bool skip_bad; /* load blocklists without their bad lines */
	char blocklists[XG_BLOCKLISTS_MAX][XG_PATH_LEN];
	int nblocklists;
	__u32 v6_prefix; /* IPv6 offenders counted and banned per /N */
	__u32 widen_after; /* bans in one prefix that ban it; 0 = off */
	__u32 widen_v4, widen_v6; /* the prefix lengths widened to */
};

void xg_guard_defaults(struct xg_guard_cfg *c);
/* Cross-field checks, reported: 0 or -EINVAL. */
int xg_guard_check(const struct xg_guard_cfg *c);

struct xg_guard;

/*
 * Reads and checks every blocklist file before anything is loaded, so a
 * bad one stops `run` with nothing changed. Reports its errors.
 */
int xg_guard_new(const struct xg_guard_cfg *cfg,
		 const struct xg_detect_cfg *det, struct xg_guard **out);

/*
 * The maps are loaded, the program not yet attached: restores the state
 * file if the maps are new (reused false: after a reboot, or once the pins
 * were removed), then loads the blocklists, so bans are in force from the
 * first packet. ifaces are the guarded interfaces: their own networks are
 * never banned as a whole.
 */
int xg_guard_start(struct xg_guard *g, const struct xg_lists *l, int allow_fd,
		   bool reused, const char (*ifaces)[IF_NAMESIZE], int nifs);

/*
 * Tells the detector about the bans it finds in the map (a restart), so a
 * repeat offender's next ban escalates from its last repeat count.
 */
void xg_guard_seed(struct xg_guard *g, struct xg_detector *det);

/*
 * A ban the detector decided: written as an exact ban, or for IPv6 as a
 * ban of the offender's /v6_prefix, and widened when due.
 */
int xg_guard_ban(struct xg_guard *g, const struct xg_event *ev);

/*
 * One poll, after the detector: sweeps prefix bans, judges the per-prefix
 * sums of this poll's sources, saves the state when it changed.
 */
void xg_guard_tick(struct xg_guard *g, __u64 now,
		   const struct xg_src_sample *src,
		   const struct xg_src_sketch *sk, size_t n);

/* SIGHUP: reads the blocklist files again and replaces each list. */
void xg_guard_reload(struct xg_guard *g);

/* Exit: saves the state one last time. */
void xg_guard_stop(struct xg_guard *g);
void xg_guard_free(struct xg_guard *g);

#endif /* XG_GUARD_H */
