// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Formats events. Each event is one line and flushed at once, so a pipe
 * (jq, a log shipper) sees it the moment it happens.
 */
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "common.h"
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
		json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PLAIN |
				   /* "10.0.0.0/8", not "10.0.0.0\/8" */
				   JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(out ? out : stdout);
	json_object_put(o);
}

static void event_json(const struct xg_event *ev, const char *ts)
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
	xg_print_json(o);
}

void xg_output_event(const struct xg_event *ev)
{
	char ts[40], a[XG_ADDR_STRLEN], b[XG_ADDR_STRLEN], d[32];
	FILE *f = out ? out : stdout;

	xg_ts_str(mono_to_real(ev->ts_ns), ts, sizeof(ts));
	if (as_json) {
		event_json(ev, ts);
		return;
	}
	fprintf(f, "%s %-10s %-17s", ts, xg_event_type_name(ev->type),
		xg_kind_name(ev->kind));
	if (ev->has_src)
		fprintf(f, " src=%s", xg_addr_str(&ev->src, a, sizeof(a)));
	if (ev->has_dst)
		fprintf(f, " dst=%s", xg_addr_str(&ev->dst, b, sizeof(b)));
	if (ev->proto)
		fprintf(f, " proto=%s", ev->proto);
	fprintf(f, " value=%llu threshold=%llu", (unsigned long long)ev->value,
		(unsigned long long)ev->threshold);
	if (ev->type == XG_EV_BAN)
		fprintf(f, " ttl=%s repeat=%u",
			xg_duration_str(ev->ttl_ns, d, sizeof(d)), ev->repeat);
	fputc('\n', f);
	fflush(f);
}

void xg_output_note(const char *event, json_object *extra, const char *fmt, ...)
{
	FILE *f = out ? out : stdout;
	char ts[40], msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	xg_ts_str(xg_real_ns(), ts, sizeof(ts));
	if (as_json) {
		json_object *o = extra ? extra : json_object_new_object();

		json_object_object_add(o, "ts", json_object_new_string(ts));
		json_object_object_add(o, "event",
				       json_object_new_string(event));
		json_object_object_add(o, "msg", json_object_new_string(msg));
		xg_print_json(o);
		return;
	}
	json_object_put(extra);
	fprintf(f, "%s %-10s %s\n", ts, event, msg);
	fflush(f);
}
