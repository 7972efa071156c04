// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Observability glue of the daemon. Threads: the daemon's loop owns every
 * piece of state here; the metrics server (libmicrohttpd's own thread)
 * copies the daemon's figures under a mutex held only for that copy, and
 * reads the kernel's counters itself, so a scrape shows current counters
 * and never waits for, or delays, a poll.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "alarms.h"
#include "bans.h"
#include "common.h"
#include "evlog.h"
#include "httpd.h"
#include "maps.h"
#include "metrics.h"
#include "obs.h"
#include "output.h"
#include "pressure.h"
#include "runstate.h"
#include "samples.h"
#include "xdpguard.skel.h"

#define PENDING_MAX 4096
#define STAT_PATH_ENV "XDPGUARD_PROC_STAT" /* tests feed canned text */

struct pending_ban {
	struct xg_addr addr;
	__u64 ts_ns;
};

struct xg_obs {
	struct xg_obs_cfg cfg;
	struct xg_httpd *httpd;
	pthread_mutex_t lock; /* guards m */
	struct xg_metrics m; /* daemon-owned part, published under lock */
	int global_fd, bans_fd, allow_fd, admit_fd;
	struct ring_buffer *rb;
	struct xg_samples samples;
	struct xg_alarms alarms;
	struct xg_pressure pressure;
	const char *stat_path;
	__u32 sample_rate;
	__u64 last_pressure_ns, last_publish_ns;
	bool alarms_dirty;
	struct pending_ban pending[PENDING_MAX];
	size_t npending;
};

void xg_obs_defaults(struct xg_obs_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->pressure_pct = 90;
	c->pressure_secs = 3;
}

int xg_obs_check(const struct xg_obs_cfg *c)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (c->metrics[0] && xg_listen_parse(c->metrics, &ss, &len)) {
		xg_err("invalid metrics address '%s': %s", c->metrics,
		       xg_listen_error());
		return -EINVAL;
	}
	return 0;
}

int xg_obs_open(struct xg_obs **out, const struct xg_obs_cfg *c,
		__u64 realert_ns, __u32 sample_rate)
{
	struct xg_pressure_cfg pc = { c->pressure_pct, c->pressure_secs };
	struct xg_obs *o = calloc(1, sizeof(*o));
	int err;

	if (!o)
		return -ENOMEM;
	o->cfg = *c;
	o->global_fd = o->bans_fd = o->allow_fd = o->admit_fd = -1;
	pthread_mutex_init(&o->lock, NULL);
	xg_metrics_init(&o->m);
	o->m.start_time = (double)xg_real_ns() / NSEC_PER_SEC;
	/* A detection stays active until it could have been re-reported. */
	xg_alarms_init(&o->alarms, realert_ns + 2 * NSEC_PER_SEC);
	xg_pressure_init(&o->pressure, &pc);
	o->stat_path =
		getenv(STAT_PATH_ENV) ? getenv(STAT_PATH_ENV) : "/proc/stat";
	o->sample_rate = sample_rate;
	xg_samples_init(&o->samples, sample_rate, xg_mono_ns());
	/* Published at the first poll even when empty: "a daemon runs". */
	o->samples.dirty = o->alarms_dirty = true;
	if (c->log_file[0] && (err = xg_evlog_open(c->log_file)))
		goto fail;
	if (c->pcap[0] && (err = xg_samples_pcap_open(&o->samples, c->pcap)))
		goto fail;
	if (c->metrics[0] && (err = xg_httpd_open(c->metrics, &o->httpd)))
		goto fail;
	xg_evlog_syslog(c->syslog);
	*out = o;
	return 0;
fail:
	xg_obs_close(o);
	return err;
}

/* Runs in the metrics server's thread. */
static int render(void *ctx, char **buf, size_t *len)
{
	struct xg_obs *o = ctx;
	struct xg_metrics *m = malloc(sizeof(*m));
	struct xg_ban_entry *bans = NULL;
	struct xg_allow_entry *allows = NULL;
	__u64 now = xg_mono_ns();
	size_t nb = 0, na = 0, i;
	FILE *f;
	int err;

	if (!m)
		return -ENOMEM;
	pthread_mutex_lock(&o->lock);
	*m = o->m;
	pthread_mutex_unlock(&o->lock);
	err = xg_read_counters(o->global_fd, m->c);
	if (!err) {
		struct xg_admit_totals at;

		err = xg_read_admit(o->admit_fd, &at);
		m->admit_refused = at.refused;
		m->admit_heavy = at.heavy;
	}
	if (!err)
		err = xg_ban_list(o->bans_fd, &bans, &nb);
	if (!err)
		err = xg_allow_list(o->allow_fd, &allows, &na);
	if (err)
		goto out;
	for (i = 0; i < nb; i++)
		if (xg_ban_live(&bans[i].ban, now) &&
		    bans[i].ban.reason < XG_REASON__MAX)
			m->bans_active[bans[i].ban.reason]++;
	m->map_entries[XG_M_BANS] = nb;
	m->map_entries[XG_M_ALLOW] = na;
	f = open_memstream(buf, len);
	if (!f) {
		err = -errno;
		goto out;
	}
	err = xg_metrics_render(m, f);
	if (fclose(f) && !err)
		err = -EIO;
	if (err) {
		free(*buf);
		*buf = NULL;
	}
out:
	free(bans);
	free(allows);
	free(m);
	return err;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct xg_obs *o = ctx;

	if (size < sizeof(struct xg_sample))
		return 0;
	xg_samples_add(&o->samples, data, xg_mono_ns(), xg_real_ns());
	return 0;
}

int xg_obs_start(struct xg_obs *o, struct xdpguard_bpf *skel)
{
	int err;

	o->global_fd = bpf_map__fd(skel->maps.global_stats);
	o->bans_fd = bpf_map__fd(skel->maps.bans);
	o->allow_fd = bpf_map__fd(skel->maps.allow);
	o->admit_fd = bpf_map__fd(skel->maps.admit_state);
	o->m.map_max[XG_M_BANS] = bpf_map__max_entries(skel->maps.bans);
	o->m.map_max[XG_M_ALLOW] = bpf_map__max_entries(skel->maps.allow);
	o->m.map_max[XG_M_SRC] =
		(__u64)bpf_map__max_entries(skel->maps.src_stats) * XG_SRC_WAYS;
	o->m.map_max[XG_M_DST] = bpf_map__max_entries(skel->maps.dst_stats);
	if (o->sample_rate) {
		o->rb = ring_buffer__new(bpf_map__fd(skel->maps.samples),
					 on_sample, o, NULL);
		if (!o->rb) {
			err = -errno;
			xg_err("cannot read the drop samples ring buffer: %s",
			       xg_bpf_strerror(err));
			return err;
		}
	}
	/* Cached before the server thread can ask for it. */
	libbpf_num_possible_cpus();
	return o->httpd ? xg_httpd_start(o->httpd, render, o) : 0;
}

int xg_obs_fd(const struct xg_obs *o)
{
	return o->rb ? ring_buffer__epoll_fd(o->rb) : -1;
}

void xg_obs_consume(struct xg_obs *o)
{
	if (o->rb)
		ring_buffer__consume(o->rb);
}

void xg_obs_event(struct xg_obs *o, const struct xg_event *ev)
{
	if ((unsigned int)ev->type < 4 &&
	    (unsigned int)ev->kind < XG_KIND__MAX) {
		pthread_mutex_lock(&o->lock);
		o->m.events[ev->type][ev->kind]++;
		pthread_mutex_unlock(&o->lock);
	}
	xg_alarms_event(&o->alarms, ev);
	o->alarms_dirty = true;
	if (ev->type == XG_EV_BAN && ev->has_src && o->npending < PENDING_MAX)
		o->pending[o->npending++] =
			(struct pending_ban){ ev->src, ev->ts_ns };
}

void xg_obs_unban(struct xg_obs *o)
{
	pthread_mutex_lock(&o->lock);
	o->m.unbans++;
	pthread_mutex_unlock(&o->lock);
}

static int cmp_src(const void *x, const void *y)
{
	return memcmp(x, y, sizeof(struct xg_addr));
}

/* Time to ban: from the source's first packet in the kernel's table. */
static void time_to_ban(struct xg_obs *o, struct xg_src_sample *src,
			size_t nsrc, struct xg_hist *h)
{
	size_t i;

	if (!o->npending)
		return;
	qsort(src, nsrc, sizeof(*src), cmp_src);
	for (i = 0; i < o->npending; i++) {
		const struct pending_ban *p = &o->pending[i];
		const struct xg_src_sample *s =
			bsearch(&p->addr, src, nsrc, sizeof(*src), cmp_src);

		if (s && s->first_ns && s->first_ns <= p->ts_ns)
			xg_hist_observe(h, (double)(p->ts_ns - s->first_ns) /
						   NSEC_PER_SEC);
	}
	o->npending = 0;
}

static void sample_pressure(struct xg_obs *o, __u64 now)
{
	struct xg_pressure_change ch[16];
	struct xg_cpustat st;
	int n, i;

	if (xg_procstat_read(o->stat_path, &st))
		return;
	n = xg_pressure_update(&o->pressure, &st, ch, ARRAY_SIZE(ch));
	for (i = 0; i < n; i++) {
		__u32 pct = ch[i].softirq * 100 + 0.5;
		json_object *x = json_object_new_object();

		json_object_object_add(
			x, "kind",
			json_object_new_string(XG_KIND_HOST_PRESSURE));
		json_object_object_add(x, "cpu",
				       json_object_new_int(ch[i].cpu));
		json_object_object_add(x, "value", json_object_new_int(pct));
		json_object_object_add(
			x, "threshold",
			json_object_new_int(o->cfg.pressure_pct));
		if (ch[i].raised)
			xg_output_note(
				"alert", x,
				"cpu%d spends %u%% of its time in softirq (>= %u%% for %us): the receive path is saturated",
				ch[i].cpu, pct, o->cfg.pressure_pct,
				o->cfg.pressure_secs);
		else
			xg_output_note(
				"clear", x,
				"cpu%d softirq back to %u%%: pressure over",
				ch[i].cpu, pct);
		xg_alarms_pressure(&o->alarms, ch[i].cpu, ch[i].raised, pct,
				   o->cfg.pressure_pct, now);
		o->alarms_dirty = true;
	}
}

static void publish(struct xg_obs *o, __u64 now)
{
	json_object *x;

	if (o->alarms_dirty || now - o->last_publish_ns >= NSEC_PER_SEC) {
		x = json_object_new_object();
		json_object_object_add(x, "alarms",
				       xg_alarms_json(&o->alarms, now));
		json_object_object_add(
			x, "evicted", json_object_new_int64(o->alarms.evicted));
		json_object_object_add(x, "pressure_cpus",
				       json_object_new_int(o->pressure.nalarm));
		xg_runstate_write("alarms.json", x);
		json_object_put(x);
		o->alarms_dirty = false;
		o->last_publish_ns = now;
	}
	if (o->samples.dirty) {
		x = json_object_new_object();
		json_object_object_add(x, "samples",
				       xg_samples_json(&o->samples));
		json_object_object_add(x, "kept",
				       json_object_new_int64(o->samples.kept));
		json_object_object_add(
			x, "over_rate",
			json_object_new_int64(o->samples.capped));
		json_object_object_add(x, "sample_rate",
				       json_object_new_int(o->sample_rate));
		xg_runstate_write("samples.json", x);
		json_object_put(x);
		o->samples.dirty = false;
	}
}

void xg_obs_polled(struct xg_obs *o, __u64 t0, struct xg_src_sample *src,
		   size_t nsrc, size_t ndst)
{
	__u64 now = xg_mono_ns();
	size_t before = o->alarms.n;
	struct xg_hist ttb;
	int i;

	pthread_mutex_lock(&o->lock);
	ttb = o->m.ttb;
	pthread_mutex_unlock(&o->lock);
	time_to_ban(o, src, nsrc, &ttb);
	if (now - o->last_pressure_ns >= NSEC_PER_SEC) {
		sample_pressure(o, now);
		o->last_pressure_ns = now;
	}
	xg_alarms_expire(&o->alarms, now);
	if (o->alarms.n != before)
		o->alarms_dirty = true;
	publish(o, now);

	pthread_mutex_lock(&o->lock);
	xg_hist_observe(&o->m.poll, (double)(now - t0) / NSEC_PER_SEC);
	o->m.ttb = ttb;
	o->m.map_entries[XG_M_SRC] = nsrc;
	o->m.map_entries[XG_M_DST] = ndst;
	o->m.alarms_active = o->alarms.n;
	o->m.samples = o->samples.kept;
	o->m.samples_capped = o->samples.capped;
	o->m.log_errors = xg_evlog_errors();
	o->m.ncpu = o->pressure.ncpu;
	for (i = 0; i < o->pressure.ncpu && i < XG_METRICS_CPUS; i++) {
		o->m.softirq[i] = o->pressure.cpu[i].share.softirq;
		o->m.busy[i] = o->pressure.cpu[i].share.busy;
	}
	o->m.pressure_cpus = o->pressure.nalarm;
	o->m.pressure_total = o->pressure.raised_total;
	pthread_mutex_unlock(&o->lock);
}

void xg_obs_reopen(struct xg_obs *o)
{
	int a = xg_evlog_reopen(), b = xg_samples_pcap_reopen(&o->samples);

	xg_output_note("reopen", NULL, "SIGHUP: log file %s, pcap file %s",
		       !o->cfg.log_file[0] ? "off" :
		       a		   ? "kept (reopen failed)" :
					     "reopened",
		       !o->cfg.pcap[0] ? "off" :
		       b	       ? "closed (reopen failed)" :
					 "reopened");
}

void xg_obs_close(struct xg_obs *o)
{
	if (!o)
		return;
	/* The server first: it reads maps the loader is about to close. */
	xg_httpd_stop(o->httpd);
	ring_buffer__free(o->rb);
	xg_samples_close(&o->samples);
	xg_pressure_free(&o->pressure);
	xg_runstate_remove("alarms.json");
	xg_runstate_remove("samples.json");
	xg_evlog_close();
	pthread_mutex_destroy(&o->lock);
	free(o);
}
