// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xg_bench: the measuring half of `make bench` (scripts/bench.sh is the
 * other: namespaces, live runs, the table). Each verb prints result rows
 * "key<TAB>section<TAB>name<TAB>value<TAB>unit<TAB>note" on stdout.
 *
 *   xg_bench prog [ROUNDS]        per-packet cost through BPF_PROG_TEST_RUN
 *   xg_bench poll N [ROUNDS]      one daemon poll over N tracked sources
 *   xg_bench mem                  memory of every map, default and maximum
 *   xg_bench readpath [ROUNDS]    reading 2^20 entries: batch API vs mmap
 *   xg_bench sweep N [ROUNDS]     the daemon's ban sweep over N live bans
 *   xg_bench blast IFACE SECONDS ...  live sender (see blast.c)
 *   xg_bench xdp IFACE OBJECT PROGRAM  attach an XDP program (see blast.c)
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "bench.h"
#include "frames.h"

char bench_objdir[256] = ".output";

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void row(const char *key, const char *section, const char *name, double value,
	 const char *unit, const char *fmt, ...)
{
	char note[256] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(note, sizeof(note), fmt, ap);
		va_end(ap);
	}
	printf("%s\t%s\t%s\t%.6g\t%s\t%s\n", key, section, name, value, unit,
	       note);
	fflush(stdout);
}

size_t frame_tcp4(__u8 *buf, const char *src, const char *dst, __u8 flags)
{
	struct pkt p = { .src = src,
			 .dst = dst,
			 .proto = 6,
			 .flags = flags,
			 .sport = 40000,
			 .dport = 80,
			 .payload = 6 };
	struct frame f;

	if (pkt_build(&p, &f))
		return 0;
	memcpy(buf, f.b, f.len);
	return f.len;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	char *slash;

	if (argc < 2) {
		fprintf(stderr,
			"usage: xg_bench prog|poll|mem|readpath|sweep|blast ... (see tests/bench/main.c)\n");
		return 2;
	}
	/* The objects sit next to tests/: .output/tests/xg_bench. */
	snprintf(bench_objdir, sizeof(bench_objdir), "%s", argv[0]);
	slash = strrchr(bench_objdir, '/');
	if (slash) {
		*slash = '\0';
		strncat(bench_objdir, "/..",
			sizeof(bench_objdir) - strlen(bench_objdir) - 1);
	} else {
		snprintf(bench_objdir, sizeof(bench_objdir), "..");
	}
	libbpf_set_print(quiet);
	if (!strcmp(argv[1], "prog"))
		return bench_prog(argc - 1, argv + 1);
	if (!strcmp(argv[1], "poll"))
		return bench_poll(argc - 1, argv + 1);
	if (!strcmp(argv[1], "readpath"))
		return bench_readpath(argc - 1, argv + 1);
	if (!strcmp(argv[1], "sweep"))
		return bench_sweep(argc - 1, argv + 1);
	if (!strcmp(argv[1], "mem"))
		return bench_mem(argc - 1, argv + 1);
	if (!strcmp(argv[1], "blast"))
		return bench_blast(argc - 1, argv + 1);
	if (!strcmp(argv[1], "xdp"))
		return bench_xdp(argc - 1, argv + 1);
	fprintf(stderr, "xg_bench: unknown verb '%s'\n", argv[1]);
	return 2;
}
