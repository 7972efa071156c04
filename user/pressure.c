// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * /proc/stat parsing and the receive-path saturation decision. The "cpu"
 * lines give jiffies per state: user nice system idle iowait irq softirq
 * steal guest guest_nice. guest and guest_nice are already counted in user
 * and nice, so the total leaves them out (as top and procps do).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pressure.h"

#define HYSTERESIS_PCT 10

/* One "cpu..." line after its name: at least user..idle (4 fields). */
static int parse_times(const char *s, struct xg_cpu_times *t)
{
	unsigned long long v[8] = {};
	int n = 0, used;

	while (n < 8 && sscanf(s, " %llu%n", &v[n], &used) == 1) {
		s += used;
		n++;
	}
	if (n < 4)
		return -EINVAL;
	t->total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
	t->idle = v[3] + v[4];
	t->softirq = v[6];
	t->present = true;
	return 0;
}

void xg_cpustat_free(struct xg_cpustat *st)
{
	free(st->cpu);
	memset(st, 0, sizeof(*st));
}

int xg_procstat_parse(const char *text, struct xg_cpustat *st)
{
	const char *line = text;
	bool have_all = false;

	memset(st, 0, sizeof(*st));
	while (line && *line) {
		const char *next = strchr(line, '\n');
		char *end;

		if (!strncmp(line, "cpu ", 4)) {
			if (parse_times(line + 4, &st->all))
				goto bad;
			have_all = true;
		} else if (!strncmp(line, "cpu", 3) && line[3] >= '0' &&
			   line[3] <= '9') {
			unsigned long id = strtoul(line + 3, &end, 10);
			struct xg_cpu_times t;

			if (*end != ' ' || id > 65535 || parse_times(end, &t))
				goto bad;
			if ((int)id >= st->ncpu) {
				struct xg_cpu_times *c;

				c = realloc(st->cpu, (id + 1) * sizeof(*c));
				if (!c) {
					xg_cpustat_free(st);
					return -ENOMEM;
				}
				memset(c + st->ncpu, 0,
				       (id + 1 - st->ncpu) * sizeof(*c));
				st->cpu = c;
				st->ncpu = id + 1;
			}
			st->cpu[id] = t;
		}
		line = next ? next + 1 : NULL;
	}
	if (have_all)
		return 0;
bad:
	xg_cpustat_free(st);
	return -EINVAL;
}

int xg_procstat_read(const char *path, struct xg_cpustat *st)
{
	char *buf = NULL;
	size_t cap = 0, len = 0, got;
	FILE *f = fopen(path, "re");
	int err;

	if (!f)
		return -errno;
	do {
		if (len + 4096 > cap) {
			char *nb = realloc(buf, cap + 16384);

			if (!nb) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = nb;
			cap += 16384;
		}
		got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
	} while (got);
	fclose(f);
	buf[len] = '\0';
	err = xg_procstat_parse(buf, st);
	free(buf);
	return err;
}

static struct xg_cpu_share share(const struct xg_cpu_times *a,
				 const struct xg_cpu_times *b)
{
	struct xg_cpu_share s = { -1, -1 };
	double dt;

	/* Counters only grow; a CPU that went offline and back restarts. */
	if (!a->present || !b->present || b->total <= a->total ||
	    b->softirq < a->softirq || b->idle < a->idle)
		return s;
	dt = b->total - a->total;
	s.softirq = (b->softirq - a->softirq) / dt;
	s.busy = 1.0 - (b->idle - a->idle) / dt;
	if (s.busy < 0)
		s.busy = 0;
	return s;
}

struct xg_cpu_share xg_cpu_share(const struct xg_cpustat *a,
				 const struct xg_cpustat *b, int i)
{
	static const struct xg_cpu_times none;

	if (i < 0)
		return share(&a->all, &b->all);
	return share(i < a->ncpu ? &a->cpu[i] : &none,
		     i < b->ncpu ? &b->cpu[i] : &none);
}

void xg_pressure_init(struct xg_pressure *p, const struct xg_pressure_cfg *c)
{
	memset(p, 0, sizeof(*p));
	p->cfg = *c;
	if (!p->cfg.samples)
		p->cfg.samples = 1;
	p->all.softirq = p->all.busy = -1;
}

void xg_pressure_free(struct xg_pressure *p)
{
	xg_cpustat_free(&p->prev);
	free(p->cpu);
	p->cpu = NULL;
	p->ncpu = 0;
}

static int grow(struct xg_pressure *p, int n)
{
	struct xg_pressure_cpu *c;

	if (n <= p->ncpu)
		return 0;
	c = realloc(p->cpu, n * sizeof(*c));
	if (!c)
		return -ENOMEM;
	memset(c + p->ncpu, 0, (n - p->ncpu) * sizeof(*c));
	for (int i = p->ncpu; i < n; i++)
		c[i].share.softirq = c[i].share.busy = -1;
	p->cpu = c;
	p->ncpu = n;
	return 0;
}

int xg_pressure_update(struct xg_pressure *p, struct xg_cpustat *st,
		       struct xg_pressure_change *out, int max)
{
	double hi = p->cfg.pct / 100.0;
	double lo = (p->cfg.pct > HYSTERESIS_PCT ? p->cfg.pct - HYSTERESIS_PCT :
						   0) /
		    100.0;
	int i, n = 0;

	if (grow(p, st->ncpu)) {
		xg_cpustat_free(st);
		return 0;
	}
	if (!p->primed) {
		p->prev = *st;
		p->primed = true;
		return 0;
	}
	p->all = xg_cpu_share(&p->prev, st, -1);
	for (i = 0; i < p->ncpu; i++) {
		struct xg_pressure_cpu *c = &p->cpu[i];
		struct xg_cpu_share s = xg_cpu_share(&p->prev, st, i);

		c->share = s;
		if (s.softirq < 0)
			continue; /* no ticks this interval: no evidence */
		if (s.softirq >= hi) {
			c->over++;
			c->under = 0;
		} else if (s.softirq < lo) {
			c->under++;
			c->over = 0;
		} else {
			c->over = c->under = 0;
		}
		if ((!c->alarm && c->over >= p->cfg.samples) ||
		    (c->alarm && c->under >= p->cfg.samples)) {
			c->alarm = !c->alarm;
			if (c->alarm) {
				p->nalarm++;
				p->raised_total++;
			} else {
				p->nalarm--;
			}
			if (n < max)
				out[n++] = (struct xg_pressure_change){
					.cpu = i,
					.raised = c->alarm,
					.softirq = s.softirq,
				};
		}
	}
	xg_cpustat_free(&p->prev);
	p->prev = *st;
	return n;
}
