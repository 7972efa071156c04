// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The full-screen `top` view, drawn with ncurses so that it works on any
 * terminal and over SSH. Each second: totals and rates, drops per reason,
 * host CPU (softirq share per CPU, from /proc/stat), the daemon's active
 * alarms (from the state file it publishes in /run), and the busiest
 * sources with their verdict. Keys take effect at once.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curses.h>

#include "bans.h"
#include "common.h"
#include "output.h"
#include "parse.h"
#include "pressure.h"
#include "runstate.h"
#include "statsview.h"
#include "top.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static const struct {
	int key;
	enum xg_src_key sort;
	const char *name, *title;
} sorts[] = {
	{ 'p', XG_BY_PPS, "pps", "PPS" },
	{ 's', XG_BY_SYN_PS, "syn", "SYN/S" },
	{ 'i', XG_BY_ICMP_PS, "icmp", "ICMP/S" },
	{ 'd', XG_BY_PORTS, "ports", "PORTS" },
	{ 'b', XG_BY_BPS, "bps", "BITS/S" },
};

int xg_top_sort_parse(const char *s, enum xg_src_key *k)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sorts); i++) {
		if (!strcmp(s, sorts[i].name)) {
			*k = sorts[i].sort;
			return 0;
		}
	}
	return -EINVAL;
}

const char *xg_si_str(double v, char *buf, size_t len)
{
	static const char suffix[] = " kMGTPE";
	int i = 0;

	if (!isfinite(v) || v < 0)
		v = 0;
	while (v >= 999.5 && i < 6) {
		v /= 1000;
		i++;
	}
	if (!i)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.*f%c",
			 v < 9.995 ? 2 :
			 v < 99.95 ? 1 :
				     0,
			 v, suffix[i]);
	return buf;
}

struct view {
	const struct xg_maps *m;
	enum xg_src_key sort;
	double interval;
	struct xg_rates rt;
	bool have_rates;
	struct xg_cpustat cpu0, cpu1;
	bool have_cpu;
};

static const char *sort_title(enum xg_src_key k)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sorts); i++)
		if (sorts[i].sort == k)
			return sorts[i].title;
	return "?";
}

static void draw_totals(struct view *v, int *y)
{
	struct xg_rates *r = &v->rt;
	char a[16], b[16], c[16], e[16];
	int i, x;

	mvprintw(
		(*y)++, 0,
		"Total  %s pps  %sbit/s   drops %s pps   %zu sources   interval %.1f s",
		xg_si_str(r->total_pps, a, sizeof(a)),
		xg_si_str(r->total_bps, b, sizeof(b)),
		xg_si_str(r->drop_pps, c, sizeof(c)), r->nrows, r->dt);
	mvprintw(
		(*y)++, 0,
		"Pass   counted %s  allowed %s  malformed %s  non-ip %s  (pps)",
		xg_si_str(r->pps[XG_CNT_PASS], a, sizeof(a)),
		xg_si_str(r->pps[XG_CNT_ALLOWED], b, sizeof(b)),
		xg_si_str(r->pps[XG_CNT_MALFORMED], c, sizeof(c)),
		xg_si_str(r->pps[XG_CNT_NON_IP], e, sizeof(e)));
	mvprintw(*y, 0, "Drops/s");
	x = 8;
	for (i = XG_CNT_DROP_BASE; i < XG_CNT__MAX; i++) {
		if (!r->c[i].pkts)
			continue;
		mvprintw(*y, x, "%s %s ", xg_slot_name(i),
			 xg_si_str(r->pps[i], a, sizeof(a)));
		x += strlen(xg_slot_name(i)) + strlen(a) + 3;
	}
	if (x == 8)
		mvprintw(*y, x, "none");
	(*y)++;
}

static void draw_cpu(struct view *v, int *y)
{
	int i, x;

	mvprintw(*y, 0, "CPU    ");
	if (!v->have_cpu) {
		printw("(measuring)");
		(*y)++;
		return;
	}
	x = 7;
	for (i = 0; i < v->cpu1.ncpu && x < COLS - 24; i++) {
		struct xg_cpu_share s = xg_cpu_share(&v->cpu0, &v->cpu1, i);

		if (s.softirq < 0)
			continue;
		if (s.softirq >= 0.9)
			attron(A_BOLD | A_REVERSE);
		mvprintw(*y, x, "cpu%d si %2.0f%% busy %2.0f%%", i,
			 s.softirq * 100, s.busy * 100);
		attroff(A_BOLD | A_REVERSE);
		x += 24;
	}
	if (i < v->cpu1.ncpu)
		mvprintw(*y, x, "(+%d)", v->cpu1.ncpu - i);
	(*y)++;
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && v ?
		       json_object_get_string(v) :
		       NULL;
}

/* Returns the lines used; at most max. */
static void draw_alarms(int *y, int max)
{
	json_object *st, *al = NULL;
	int i, n;

	if (xg_runstate_read("alarms.json", &st)) {
		mvprintw(
			(*y)++, 0,
			"Alarms unknown: no daemon publishes them (is 'xdpguard run' running?)");
		return;
	}
	json_object_object_get_ex(st, "alarms", &al);
	n = al ? json_object_array_length(al) : 0;
	attron(A_BOLD);
	mvprintw((*y)++, 0, "Alarms %d active   (daemon pid %s)", n,
		 jstr(st, "pid") ? jstr(st, "pid") : "?");
	attroff(A_BOLD);
	for (i = 0; i < n && i < max; i++) {
		json_object *a = json_object_array_get_idx(al, i);
		const char *who = jstr(a, "src");
		char where[64];
		double age = 0;
		json_object *x;

		if (!who && jstr(a, "dst")) {
			snprintf(where, sizeof(where), "victim %s",
				 jstr(a, "dst"));
		} else if (!who && jstr(a, "cpu")) {
			snprintf(where, sizeof(where), "cpu%s", jstr(a, "cpu"));
		} else {
			snprintf(where, sizeof(where), "src %s",
				 who ? who : "?");
		}
		if (json_object_object_get_ex(a, "age_s", &x))
			age = json_object_get_double(x);
		if (!strcmp(jstr(a, "action") ?: "", "ban"))
			attron(A_BOLD);
		mvprintw((*y)++, 2,
			 "%-18s %-10s %-48s value %s / %s  %.0fs ago",
			 jstr(a, "kind") ?: "?", jstr(a, "action") ?: "?",
			 where, jstr(a, "value") ?: "?",
			 jstr(a, "threshold") ?: "?", age);
		attroff(A_BOLD);
	}
	if (n > max)
		mvprintw((*y)++, 2, "... and %d more", n - max);
	json_object_put(st);
}

static void draw_sources(struct view *v, int *y)
{
	char a[XG_ADDR_STRLEN], p[16], b[16], s[16], ic[16];
	char d[XG_DURATION_STRLEN], verdict[64];
	__u64 now = xg_mono_ns();
	size_t j;

	xg_rates_sort(&v->rt, v->sort);
	attron(A_REVERSE);
	mvprintw((*y)++, 0, "%-39s %8s %8s %8s %8s %6s  %-24s", "SOURCE", "PPS",
		 "BITS/S", "SYN/S", "ICMP/S", "PORTS", "VERDICT");
	attroff(A_REVERSE);
	for (j = 0; j < v->rt.nrows && *y < LINES - 1; j++) {
		const struct xg_src_row *row = &v->rt.rows[j];
		struct xg_verdict vd;

		xg_src_verdict(v->m, &row->s->addr, now, &vd);
		if (!strcmp(vd.state, "banned"))
			snprintf(verdict, sizeof(verdict), "banned %s %s",
				 xg_reason_name(vd.reason),
				 vd.expires_in < 0 ?
					 "never expires" :
					 xg_duration_str(vd.expires_in *
								 NSEC_PER_SEC,
							 d, sizeof(d)));
		else
			snprintf(verdict, sizeof(verdict), "%s", vd.state);
		if (strcmp(vd.state, "passing"))
			attron(A_BOLD);
		mvprintw((*y)++, 0, "%-39s %8s %8s %8s %8s %6u  %-24s",
			 xg_addr_str(&row->s->addr, a, sizeof(a)),
			 xg_si_str(row->pps, p, sizeof(p)),
			 xg_si_str(row->bps, b, sizeof(b)),
			 xg_si_str(row->syn_ps, s, sizeof(s)),
			 xg_si_str(row->icmp_ps, ic, sizeof(ic)), row->ports,
			 verdict);
		attroff(A_BOLD);
	}
	if (!v->rt.nrows)
		mvprintw((*y)++, 0, "(no sources tracked yet)");
}

static void draw(struct view *v)
{
	char ts[40];
	int y = 0;

	erase();
	attron(A_BOLD);
	mvprintw(y++, 0, "xdpguard top   %s   pins %s   sort: %s",
		 xg_ts_str(xg_real_ns(), ts, sizeof(ts)), xg_pin_dir(),
		 sort_title(v->sort));
	attroff(A_BOLD);
	mvprintw(y++, 0,
		 "keys: p pps  s SYN/s  i ICMP/s  d ports  b bits/s  q quit");
	y++;
	if (!v->have_rates) {
		mvprintw(y++, 0, "measuring...");
		refresh();
		return;
	}
	draw_totals(v, &y);
	draw_cpu(v, &y);
	y++;
	draw_alarms(&y, LINES > 30 ? 8 : 3);
	y++;
	draw_sources(v, &y);
	refresh();
}

/* A new reading of the maps and of /proc/stat, and the rates since the last. */
static int sample(struct view *v, struct xg_reading *r0)
{
	struct xg_reading r1;
	struct xg_cpustat c;
	int err;

	err = xg_reading_take(v->m, &r1);
	if (err)
		return err;
	if (v->have_rates)
		xg_rates_free(&v->rt);
	err = xg_rates_compute(r0, &r1, &v->rt);
	xg_reading_free(r0);
	*r0 = r1;
	if (err)
		return err;
	v->have_rates = true;
	if (!xg_procstat_read("/proc/stat", &c)) {
		xg_cpustat_free(&v->cpu0);
		v->cpu0 = v->cpu1;
		v->cpu1 = c;
		v->have_cpu = v->cpu0.ncpu > 0;
	}
	return 0;
}

int xg_top_run(const struct xg_maps *m, double interval, enum xg_src_key sort,
	       __u64 count)
{
	struct view v = { .m = m, .sort = sort, .interval = interval };
	struct xg_reading r0;
	__u64 next, shown = 0;
	SCREEN *scr;
	int err, i;

	err = xg_reading_take(m, &r0);
	if (err)
		return 1;
	xg_procstat_read("/proc/stat", &v.cpu1);
	scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		xg_err("cannot draw on this terminal (TERM=%s); use 'xdpguard top --json' or 'stats --watch'",
		       getenv("TERM") ?: "unset");
		xg_reading_free(&r0);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	draw(&v);
	next = xg_mono_ns() + interval * NSEC_PER_SEC;
	while (!stop) {
		__u64 now = xg_mono_ns();
		int ch;

		if (now >= next) {
			err = sample(&v, &r0);
			if (err)
				break;
			draw(&v);
			if (count && ++shown >= count)
				break;
			next += interval * NSEC_PER_SEC;
			if (next <= now)
				next = now + interval * NSEC_PER_SEC;
			continue;
		}
		timeout((int)((next - now) / 1000000) + 1);
		ch = getch();
		if (ch == 'q' || ch == 'Q')
			break;
		if (ch == KEY_RESIZE || ch == ' ') {
			if (v.have_rates)
				draw(&v);
			continue;
		}
		for (i = 0; i < (int)ARRAY_SIZE(sorts); i++) {
			if (ch == sorts[i].key) {
				v.sort = sorts[i].sort;
				if (v.have_rates)
					draw(&v);
			}
		}
	}
	endwin();
	delscreen(scr);
	xg_reading_free(&r0);
	if (v.have_rates)
		xg_rates_free(&v.rt);
	xg_cpustat_free(&v.cpu0);
	xg_cpustat_free(&v.cpu1);
	return err ? 1 : 0;
}
