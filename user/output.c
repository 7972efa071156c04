// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Formats events. Each event is one line and flushed at once, so a pipe
 * (jq, a log shipper) sees it the moment it happens; the same event also
 * goes to the log file and syslog when those are on (evlog.c).
 */
#include <stdarg.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "common.h"
#include "evlog.h"
#include "output.h"
#include "parse.h"

static FILE *out;
static bool as_json;

void xg_output_init(FILE *f, bool json)
{
	out = f;
	as_json = json;
}

const char *xg_ts_str(__u64 real_ns, char *buf, size_t len)
{
	time_t sec = real_ns / NSEC_PER_SEC;
	struct tm tm;
	char tmp[32];

	gmtime_r(&sec, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03lluZ", tmp,
		 (unsigned long long)(real_ns % NSEC_PER_SEC / 1000000));
	return buf;
}

/* The wall-clock time of a monotonic instant, for event timestamps. */
static __u64 mono_to_real(__u64 mono)
{
	__u64 now_mono = xg_mono_ns(), now_real = xg_real_ns();

	if (!mono || mono > now_mono)
		return now_real;
	return now_real - (now_mono - mono);
}

void xg_print_json(json_object *o)
{
	fprintf(out ? out : stdout, "%s\n",
		json_object_to_json_string_ext(o, XG_JSON_FLAGS));
	fflush(out ? out : stdout);
	json_object_put(o);
}

static json_object *event_json(const struct xg_event *ev, const char *ts)
{
	char a[XG_ADDR_STRLEN];
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ts", json_object_new_string(ts));
	json_object_object_add(
		o, "event",
		json_object_new_string(xg_event_type_name(ev->type)));
	json_object_object_add(o, "kind",
			       json_object_new_string(xg_kind_name(ev->kind)));
	if (ev->has_src)
		json_object_object_add(o, "src",
				       json_object_new_string(xg_addr_str(
					       &ev->src, a, sizeof(a))));
	if (ev->has_dst)
		json_object_object_add(o, "dst",
				       json_object_new_string(xg_addr_str(
					       &ev->dst, a, sizeof(a))));
	if (ev->proto)
		json_object_object_add(o, "proto",
				       json_object_new_string(ev->proto));
	json_object_object_add(o, "value", json_object_new_int64(ev->value));
	json_object_object_add(o, "threshold",
			       json_object_new_int64(ev->threshold));
	if (ev->window_ns)
		json_object_object_add(
			o, "window_s",
			json_object_new_double((double)ev->window_ns /
					       NSEC_PER_SEC));
	if (ev->type == XG_EV_BAN) {
		json_object_object_add(
			o, "ttl_s",
			json_object_new_int64(ev->ttl_ns / NSEC_PER_SEC));
		json_object_object_add(o, "repeat",
				       json_object_new_int64(ev->repeat));
	}
	return o;
}

/*
 * Every event goes to stdout (text or JSON) and to the event log sinks
 * (JSON lines file, syslog), built once. Consumes o.
 */
static void emit(json_object *o, const char *ts, const char *text, int prio)
{
	FILE *f = out ? out : stdout;

	xg_evlog_write(o, text, prio);
	if (as_json)
		fprintf(f, "%s\n",
			json_object_to_json_string_ext(o, XG_JSON_FLAGS));
	else
		fprintf(f, "%s %s\n", ts, text);
	fflush(f);
	json_object_put(o);
}

void xg_output_event(const struct xg_event *ev)
{
	char ts[40], a[XG_ADDR_STRLEN], b[XG_ADDR_STRLEN], d[32], text[512];
	int n;

	xg_ts_str(mono_to_real(ev->ts_ns), ts, sizeof(ts));
	n = snprintf(text, sizeof(text), "%-10s %-17s",
		     xg_event_type_name(ev->type), xg_kind_name(ev->kind));
	if (ev->has_src)
		n += snprintf(text + n, sizeof(text) - n, " src=%s",
			      xg_addr_str(&ev->src, a, sizeof(a)));
	if (ev->has_dst)
		n += snprintf(text + n, sizeof(text) - n, " dst=%s",
			      xg_addr_str(&ev->dst, b, sizeof(b)));
	if (ev->proto)
		n += snprintf(text + n, sizeof(text) - n, " proto=%s",
			      ev->proto);
	n += snprintf(text + n, sizeof(text) - n, " value=%llu threshold=%llu",
		      (unsigned long long)ev->value,
		      (unsigned long long)ev->threshold);
	if (ev->type == XG_EV_BAN)
		snprintf(text + n, sizeof(text) - n, " ttl=%s repeat=%u",
			 xg_duration_str(ev->ttl_ns, d, sizeof(d)), ev->repeat);
	emit(event_json(ev, ts), ts, text,
	     ev->type == XG_EV_ALERT || ev->type == XG_EV_BAN ? LOG_WARNING :
	     ev->type == XG_EV_SUPPRESSED		      ? LOG_NOTICE :
								LOG_INFO);
}

void xg_output_note(const char *event, json_object *extra, const char *fmt, ...)
{
	char ts[40], msg[512], text[600];
	json_object *o = json_object_new_object();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	xg_ts_str(xg_real_ns(), ts, sizeof(ts));
	/* "ts" and "event" first, as in the detector's events. */
	json_object_object_add(o, "ts", json_object_new_string(ts));
	json_object_object_add(o, "event", json_object_new_string(event));
	if (extra) {
		json_object_object_foreach(extra, k, v)
			json_object_object_add(o, k, json_object_get(v));
		json_object_put(extra);
	}
	json_object_object_add(o, "msg", json_object_new_string(msg));
	snprintf(text, sizeof(text), "%-10s %s", event, msg);
	emit(o, ts, text,
	     !strcmp(event, "error") ? LOG_ERR :
	     !strcmp(event, "alert") ? LOG_WARNING :
				       LOG_INFO);
}
