// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Renders the metrics in Prometheus' text format. Naming follows the
 * Prometheus conventions: a xdpguard_ prefix, base units (seconds, bytes),
 * _total on counters, one metric with labels rather than one per value
 * (xdpguard_packets_total{verdict="drop",reason="syn_flood"}), and every
 * label combination present from the start (at 0) so that rate() works
 * from the first scrape.
 */
#include <errno.h>
#include <string.h>

#include "bans.h"
#include "metrics.h"

static const double poll_bounds[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
				      0.05,   0.1,   0.25,   0.5,   1,	  2.5 };
static const double ttb_bounds[] = {
	0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300
};

static const char *const map_names[XG_M__MAX] = {
	[XG_M_BANS] = "bans",
	[XG_M_ALLOW] = "allow",
	[XG_M_SRC] = "src_stats",
	[XG_M_DST] = "dst_stats",
};

/* The pass slots; drops are labelled with the ban's reason. */
static const char *const pass_reasons[XG_CNT_DROP_BASE] = {
	[XG_CNT_PASS] = "counted",
	[XG_CNT_ALLOWED] = "allowed",
	[XG_CNT_MALFORMED] = "malformed",
	[XG_CNT_NON_IP] = "non_ip",
};

void xg_hist_init(struct xg_hist *h, const double *bounds, int n)
{
	memset(h, 0, sizeof(*h));
	h->bounds = bounds;
	h->nbounds = n < XG_HIST_MAX ? n : XG_HIST_MAX;
}

void xg_hist_observe(struct xg_hist *h, double v)
{
	int i;

	for (i = 0; i < h->nbounds; i++) {
		if (v <= h->bounds[i]) {
			h->counts[i]++;
			break;
		}
	}
	h->count++;
	h->sum += v;
}

void xg_metrics_init(struct xg_metrics *m)
{
	memset(m, 0, sizeof(*m));
	xg_hist_init(&m->poll, poll_bounds,
		     (int)(sizeof(poll_bounds) / sizeof(poll_bounds[0])));
	xg_hist_init(&m->ttb, ttb_bounds,
		     (int)(sizeof(ttb_bounds) / sizeof(ttb_bounds[0])));
}

const char *xg_metrics_escape(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; *s && o + 3 < len; s++) {
		if (*s == '\\' || *s == '"') {
			buf[o++] = '\\';
			buf[o++] = *s;
		} else if (*s == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else {
			buf[o++] = *s;
		}
	}
	buf[o] = '\0';
	return buf;
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Integers print exactly; %.17g would too, but 1e+06 style is less legible. */
static void num(FILE *f, double v)
{
	if (v == (double)(long long)v && v < 9e15 && v > -9e15)
		fprintf(f, "%lld\n", (long long)v);
	else
		fprintf(f, "%.15g\n", v);
}

static void hist(FILE *f, const char *name, const struct xg_hist *h)
{
	__u64 cum = 0;
	int i;

	for (i = 0; i < h->nbounds; i++) {
		cum += h->counts[i];
		fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", name, h->bounds[i],
			(unsigned long long)cum);
	}
	fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n", name,
		(unsigned long long)h->count);
	fprintf(f, "%s_sum ", name);
	num(f, h->sum);
	fprintf(f, "%s_count %llu\n", name, (unsigned long long)h->count);
}

static void packets(FILE *f, const struct xg_metrics *m, bool bytes)
{
	int i;

	for (i = 0; i < XG_CNT__MAX; i++) {
		const char *reason =
			i < XG_CNT_DROP_BASE ?
				pass_reasons[i] :
				xg_reason_name(i - XG_CNT_DROP_BASE);

		if (!reason)
			continue;
		fprintf(f,
			"xdpguard_%s_total{verdict=\"%s\",reason=\"%s\"} %llu\n",
			bytes ? "bytes" : "packets",
			i < XG_CNT_DROP_BASE ? "pass" : "drop", reason,
			(unsigned long long)(bytes ? m->c[i].bytes :
						     m->c[i].pkts));
	}
}

static void events(FILE *f, const struct xg_metrics *m, int type,
		   const char *name, const char *help)
{
	int k;

	head(f, name, "counter", help);
	for (k = 0; k < XG_KIND__MAX; k++)
		fprintf(f, "%s{kind=\"%s\"} %llu\n", name, xg_kind_name(k),
			(unsigned long long)m->events[type][k]);
}

static void cpus(FILE *f, const struct xg_metrics *m, const double *v,
		 const char *name, const char *help)
{
	int i, n = m->ncpu < XG_METRICS_CPUS ? m->ncpu : XG_METRICS_CPUS;

	head(f, name, "gauge", help);
	for (i = 0; i < n; i++) {
		if (v[i] < 0)
			continue;
		fprintf(f, "%s{cpu=\"%d\"} ", name, i);
		num(f, v[i]);
	}
}

int xg_metrics_render(const struct xg_metrics *m, FILE *f)
{
	int i;

	head(f, "xdpguard_packets_total", "counter",
	     "Packets seen by the XDP program, by verdict and reason.");
	packets(f, m, false);
	head(f, "xdpguard_bytes_total", "counter",
	     "Bytes seen by the XDP program, by verdict and reason.");
	packets(f, m, true);
	head(f, "xdpguard_parse_failures_total", "counter",
	     "Packets whose headers could not be parsed (passed).");
	fprintf(f, "xdpguard_parse_failures_total %llu\n",
		(unsigned long long)m->c[XG_CNT_MALFORMED].pkts);

	head(f, "xdpguard_bans_active", "gauge", "Bans in force, by reason.");
	for (i = 1; i < XG_REASON__MAX; i++)
		fprintf(f, "xdpguard_bans_active{reason=\"%s\"} %llu\n",
			xg_reason_name(i),
			(unsigned long long)m->bans_active[i]);
	events(f, m, XG_EV_ALERT, "xdpguard_alerts_total",
	       "Alerts raised by the detector, by kind.");
	events(f, m, XG_EV_BAN, "xdpguard_bans_total",
	       "Bans decided by the detector, by kind.");
	events(f, m, XG_EV_SUPPRESSED, "xdpguard_suppressed_total",
	       "Detections of allowlisted sources (never banned), by kind.");
	head(f, "xdpguard_unbans_total", "counter",
	     "Bans that expired and were removed.");
	fprintf(f, "xdpguard_unbans_total %llu\n",
		(unsigned long long)m->unbans);
	head(f, "xdpguard_alarms_active", "gauge",
	     "Active alarms (recent detections and saturated CPUs).");
	fprintf(f, "xdpguard_alarms_active %llu\n",
		(unsigned long long)m->alarms_active);

	head(f, "xdpguard_map_entries", "gauge", "Entries in each BPF map.");
	for (i = 0; i < XG_M__MAX; i++)
		fprintf(f, "xdpguard_map_entries{map=\"%s\"} %llu\n",
			map_names[i], (unsigned long long)m->map_entries[i]);
	head(f, "xdpguard_map_max_entries", "gauge",
	     "Capacity of each BPF map.");
	for (i = 0; i < XG_M__MAX; i++)
		fprintf(f, "xdpguard_map_max_entries{map=\"%s\"} %llu\n",
			map_names[i], (unsigned long long)m->map_max[i]);

	head(f, "xdpguard_admission_refused_packets_total", "counter",
	     "Packets of new sources kept out of the full-rate source table (admission control under a flood of new sources).");
	fprintf(f, "xdpguard_admission_refused_packets_total %llu\n",
		(unsigned long long)m->admit_refused);
	head(f, "xdpguard_admission_over_budget_total", "counter",
	     "Sources given a table entry past the new-source budget, for their packet rate.");
	fprintf(f, "xdpguard_admission_over_budget_total %llu\n",
		(unsigned long long)m->admit_heavy);

	head(f, "xdpguard_poll_duration_seconds", "histogram",
	     "Time one daemon poll takes (read maps, detect, ban).");
	hist(f, "xdpguard_poll_duration_seconds", &m->poll);
	head(f, "xdpguard_time_to_ban_seconds", "histogram",
	     "From a source's first packet seen to its ban.");
	hist(f, "xdpguard_time_to_ban_seconds", &m->ttb);

	cpus(f, m, m->softirq, "xdpguard_cpu_softirq_ratio",
	     "Share of each CPU's time in softirq (the receive path), last second.");
	cpus(f, m, m->busy, "xdpguard_cpu_busy_ratio",
	     "Share of each CPU's time not idle, last second.");
	head(f, "xdpguard_host_pressure_cpus", "gauge",
	     "CPUs whose receive path is saturated now.");
	fprintf(f, "xdpguard_host_pressure_cpus %u\n", m->pressure_cpus);
	head(f, "xdpguard_host_pressure_alarms_total", "counter",
	     "Host pressure alarms raised.");
	fprintf(f, "xdpguard_host_pressure_alarms_total %llu\n",
		(unsigned long long)m->pressure_total);

	head(f, "xdpguard_drop_samples_total", "counter",
	     "Dropped-packet samples kept, by outcome.");
	fprintf(f, "xdpguard_drop_samples_total{outcome=\"kept\"} %llu\n",
		(unsigned long long)m->samples);
	fprintf(f, "xdpguard_drop_samples_total{outcome=\"over_rate\"} %llu\n",
		(unsigned long long)m->samples_capped);
	head(f, "xdpguard_log_errors_total", "counter",
	     "Event log writes that failed.");
	fprintf(f, "xdpguard_log_errors_total %llu\n",
		(unsigned long long)m->log_errors);
	head(f, "xdpguard_start_time_seconds", "gauge",
	     "When the daemon started, seconds since the epoch.");
	fprintf(f, "xdpguard_start_time_seconds ");
	num(f, m->start_time);
	return ferror(f) ? -EIO : 0;
}
