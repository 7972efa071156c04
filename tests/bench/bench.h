/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Shared by the parts of xg_bench (`make bench`): timing, rows, loading. */
#ifndef XG_BENCH_H
#define XG_BENCH_H

#include <stddef.h>
#include <linux/types.h>

#include "xdpguard.h"

/* Where `make` put the BPF objects; set from the binary's own path. */
extern char bench_objdir[256];

/* Median of n values (sorts v). */
double median(double *v, int n);

/*
 * One line of the result: "key<TAB>section<TAB>name<TAB>value<TAB>unit<TAB>
 * note". scripts/bench.sh collects these lines from every part into one
 * table and computes the targets from the values by key.
 */
void row(const char *key, const char *section, const char *name, double value,
	 const char *unit, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Frames (tests/prog/frames.c): an IPv4 TCP frame from src to dst. */
size_t frame_tcp4(__u8 *buf, const char *src, const char *dst, __u8 flags);

int bench_prog(int argc, char **argv);
int bench_poll(int argc, char **argv);
int bench_mem(int argc, char **argv);
int bench_readpath(int argc, char **argv);
int bench_sweep(int argc, char **argv);
int bench_blast(int argc, char **argv);
int bench_xdp(int argc, char **argv);

#endif /* XG_BENCH_H */
