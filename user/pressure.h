/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Host pressure: per-CPU softirq and busy shares from /proc/stat, and the
 * decision that the receive path is saturated. XDP and the rest of the
 * receive path run in softirq context, so a CPU that spends nearly all its
 * time there is losing packets: that is when an attack is winning. Pure
 * (text in, shares and decisions out), so it is tested with canned text.
 */
#ifndef XG_PRESSURE_H
#define XG_PRESSURE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* Jiffies of one CPU (or of all, the "cpu" line). */
struct xg_cpu_times {
	__u64 total; /* user nice system idle iowait irq softirq steal */
	__u64 idle; /* idle + iowait */
	__u64 softirq;
	bool present;
};

struct xg_cpustat {
	struct xg_cpu_times all;
	struct xg_cpu_times *cpu; /* indexed by CPU number */
	int ncpu; /* highest CPU number + 1 */
};

/*
 * Parses the text of /proc/stat into st (st->cpu is allocated; free with
 * xg_cpustat_free). -EINVAL if there is no "cpu" line or a cpu line is
 * malformed, -ENOMEM.
 */
int xg_procstat_parse(const char *text, struct xg_cpustat *st);
void xg_cpustat_free(struct xg_cpustat *st);
/* Reads and parses path (normally /proc/stat). */
int xg_procstat_read(const char *path, struct xg_cpustat *st);

/* The shares of one CPU between two readings, 0..1; -1 when unknown. */
struct xg_cpu_share {
	double softirq;
	double busy;
};

/* Shares of CPU i (or of all CPUs when i < 0) between a and b. */
struct xg_cpu_share xg_cpu_share(const struct xg_cpustat *a,
				 const struct xg_cpustat *b, int i);

struct xg_pressure_cfg {
	__u32 pct; /* softirq share, in percent, that counts as saturated */
	__u32 samples; /* consecutive samples over pct to raise the alarm */
};

struct xg_pressure_cpu {
	struct xg_cpu_share share; /* of the last interval */
	__u32 over, under; /* consecutive samples above pct / below clear */
	bool alarm;
};

/* What changed in one update, for events. */
struct xg_pressure_change {
	int cpu;
	bool raised; /* false: cleared */
	double softirq;
};

struct xg_pressure {
	struct xg_pressure_cfg cfg;
	struct xg_cpustat prev;
	bool primed;
	struct xg_cpu_share all;
	struct xg_pressure_cpu *cpu;
	int ncpu;
	__u32 nalarm; /* CPUs saturated now */
	__u64 raised_total; /* alarms raised so far */
};

void xg_pressure_init(struct xg_pressure *p, const struct xg_pressure_cfg *c);
void xg_pressure_free(struct xg_pressure *p);
/*
 * Feeds one reading (taken about a second after the previous one); takes
 * ownership of st. A CPU raises its alarm after cfg.samples consecutive
 * intervals with a softirq share >= pct, and clears it after as many below
 * pct - 10 points (hysteresis, so a share hovering at the threshold does
 * not flap). Writes up to max changes to out; returns how many.
 */
int xg_pressure_update(struct xg_pressure *p, struct xg_cpustat *st,
		       struct xg_pressure_change *out, int max);

#endif /* XG_PRESSURE_H */
