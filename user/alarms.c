// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The active-alarm table. A few hundred entries at most, so a linear scan
 * is the whole data structure: during a flood the detector reports each
 * offender once per realert period, not once per poll.
 */
#include <stdlib.h>
#include <string.h>

#include "alarms.h"
#include "common.h"
#include "output.h"
#include "parse.h"

void xg_alarms_init(struct xg_alarms *t, __u64 hold_ns)
{
	memset(t, 0, sizeof(*t));
	t->hold_ns = hold_ns;
}

static bool same(const struct xg_alarm *a, const struct xg_alarm *b)
{
	return !strcmp(a->kind, b->kind) && a->cpu == b->cpu &&
	       a->has_src == b->has_src && a->has_dst == b->has_dst &&
	       (!a->has_src || !memcmp(&a->src, &b->src, sizeof(a->src))) &&
	       (!a->has_dst || !memcmp(&a->dst, &b->dst, sizeof(a->dst)));
}

/* A ban outranks an alert, which outranks a suppressed detection. */
static int rank(const char *action)
{
	return !strcmp(action, "ban") ? 2 : !strcmp(action, "alert") ? 1 : 0;
}

static void upsert(struct xg_alarms *t, const struct xg_alarm *x)
{
	struct xg_alarm *a;
	size_t i, old = 0;

	for (i = 0; i < t->n; i++) {
		a = &t->a[i];
		if (!same(a, x))
			continue;
		a->value = x->value;
		a->threshold = x->threshold;
		a->last_ns = x->last_ns;
		a->count++;
		if (rank(x->action) > rank(a->action))
			a->action = x->action;
		return;
	}
	if (t->n < XG_ALARMS_MAX) {
		t->a[t->n++] = *x;
		return;
	}
	/* Full: the alarm heard from least recently makes room. */
	for (i = 1; i < t->n; i++)
		if (t->a[i].last_ns < t->a[old].last_ns)
			old = i;
	t->a[old] = *x;
	t->evicted++;
}

void xg_alarms_event(struct xg_alarms *t, const struct xg_event *ev)
{
	struct xg_alarm x = {
		.kind = xg_kind_name(ev->kind),
		.has_src = ev->has_src,
		.has_dst = ev->has_dst,
		.src = ev->src,
		.dst = ev->dst,
		.cpu = -1,
		.value = ev->value,
		.threshold = ev->threshold,
		.first_ns = ev->ts_ns,
		.last_ns = ev->ts_ns,
		.count = 1,
	};

	if (ev->type == XG_EV_UNBAN)
		return;
	x.action = xg_event_type_name(ev->type);
	upsert(t, &x);
}

void xg_alarms_pressure(struct xg_alarms *t, int cpu, bool raised, __u32 pct,
			__u32 threshold, __u64 now)
{
	struct xg_alarm x = {
		.kind = XG_KIND_HOST_PRESSURE,
		.action = "alert",
		.cpu = cpu,
		.value = pct,
		.threshold = threshold,
		.first_ns = now,
		.last_ns = now,
		.count = 1,
	};
	size_t i;

	if (raised) {
		upsert(t, &x);
		return;
	}
	for (i = 0; i < t->n; i++) {
		if (same(&t->a[i], &x)) {
			t->a[i] = t->a[--t->n];
			return;
		}
	}
}

void xg_alarms_expire(struct xg_alarms *t, __u64 now)
{
	size_t i = 0;

	while (i < t->n) {
		const struct xg_alarm *a = &t->a[i];

		/* Host pressure lasts until it is cleared. */
		if (a->cpu < 0 && now - a->last_ns > t->hold_ns)
			t->a[i] = t->a[--t->n];
		else
			i++;
	}
}

static int cmp_newest(const void *x, const void *y)
{
	const struct xg_alarm *a = *(const struct xg_alarm *const *)x;
	const struct xg_alarm *b = *(const struct xg_alarm *const *)y;

	if (a->last_ns != b->last_ns)
		return a->last_ns < b->last_ns ? 1 : -1;
	return strcmp(a->kind, b->kind);
}

/* The wall-clock time of a monotonic instant now_mono - age. */
static json_object *ts_json(__u64 now, __u64 mono)
{
	char ts[40];
	__u64 age = now > mono ? now - mono : 0;

	return json_object_new_string(
		xg_ts_str(xg_real_ns() - age, ts, sizeof(ts)));
}

json_object *xg_alarms_json(const struct xg_alarms *t, __u64 now)
{
	const struct xg_alarm *sorted[XG_ALARMS_MAX];
	json_object *arr = json_object_new_array();
	char s[XG_ADDR_STRLEN];
	size_t i;

	for (i = 0; i < t->n; i++)
		sorted[i] = &t->a[i];
	qsort(sorted, t->n, sizeof(sorted[0]), cmp_newest);
	for (i = 0; i < t->n; i++) {
		const struct xg_alarm *a = sorted[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "kind",
				       json_object_new_string(a->kind));
		json_object_object_add(o, "action",
				       json_object_new_string(a->action));
		/* Every key always present (null when it does not apply). */
		json_object_object_add(
			o, "src",
			a->has_src ? json_object_new_string(xg_addr_str(
					     &a->src, s, sizeof(s))) :
				     NULL);
		json_object_object_add(
			o, "dst",
			a->has_dst ? json_object_new_string(xg_addr_str(
					     &a->dst, s, sizeof(s))) :
				     NULL);
		json_object_object_add(
			o, "cpu",
			a->cpu >= 0 ? json_object_new_int(a->cpu) : NULL);
		json_object_object_add(o, "value",
				       json_object_new_int64(a->value));
		json_object_object_add(o, "threshold",
				       json_object_new_int64(a->threshold));
		json_object_object_add(o, "since", ts_json(now, a->first_ns));
		json_object_object_add(o, "last", ts_json(now, a->last_ns));
		json_object_object_add(
			o, "age_s",
			json_object_new_double(
				(double)(now > a->last_ns ? now - a->last_ns :
							    0) /
				NSEC_PER_SEC));
		json_object_object_add(o, "count",
				       json_object_new_int64(a->count));
		json_object_array_add(arr, o);
	}
	return arr;
}
