// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* xdpguard's entry point: global options, then a table from verb to do_<verb>(). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "common.h"

#define XG_VERSION "0.1.0"

static const struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} verbs[] = {
	{ "run", do_run,
	  "run -i IFACE [...]     load, attach and guard until SIGINT/SIGTERM" },
	{ "status", do_status,
	  "status [--json]         interfaces, mode, program, map fill" },
	{ "stats", do_stats,
	  "stats [--watch S] [--json] [--top N]  totals, rates, top sources" },
	{ "top", do_top,
	  "top [--interval S] [--sort K] [--json]  live view (keys: p s i d b q)" },
	{ "samples", do_samples,
	  "samples [--follow] [--json]  headers of recently dropped packets" },
	{ "ban", do_ban,
	  "ban ADDR|PREFIX [--ttl DUR] [--reason R] [--json]  drop a source or a network (default: until unbanned)" },
	{ "unban", do_unban, "unban ADDR|PREFIX [--json]  lift a ban" },
	{ "bans", do_bans,
	  "bans [--all] [--json]   list live bans (--all: every imported prefix too)" },
	{ "import", do_import,
	  "import FILE [--name N] [--ttl DUR] [--reason TEXT] [--skip-bad]  load or replace a blocklist\n"
	  "  import --remove NAME    drop a blocklist" },
	{ "allow", do_allow,
	  "allow PREFIX [--json]   never drop or ban PREFIX" },
	{ "unallow", do_unallow,
	  "unallow PREFIX [--json] remove an allowlist entry" },
	{ "allows", do_allows, "allows [--json]         list the allowlist" },
	{ "detach", do_detach,
	  "detach -i IFACE [--json]  remove xdpguard from IFACE (and its pins when unused)" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: xdpguard [-v] [--pin-dir DIR] VERB [ARGS]\n\nverbs:\n");
	for (i = 0; i < ARRAY_SIZE(verbs); i++)
		fprintf(f, "  %s\n", verbs[i].usage);
	fprintf(f,
		"\n'xdpguard run --help' lists every detection setting.\n"
		"--json: one JSON document per result (schemas: docs/json.md).\n");
}

int xg_usage_error(const char *verb, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	xg_err("%s: %s (see 'xdpguard --help')", verb, msg);
	return 2;
}

int xg_opt_error(const char *verb, int c, int argc, char **argv)
{
	const char *opt = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
	char shortopt[3] = { '-', (char)optopt, 0 };

	/* An unknown short option may sit inside a cluster ("-jx"). */
	if (optopt && c != ':')
		opt = shortopt;
	if (c == ':')
		return xg_usage_error(verb, "option '%s' needs a value",
				      xg_shorten(opt));
	return xg_usage_error(verb, "unknown option '%s'", xg_shorten(opt));
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	/*
	 * Even libbpf's warnings only with -v: each failure gets one line of
	 * ours, naming what to do, and -v shows libbpf's (and the verifier's)
	 * account of it.
	 */
	if (level == LIBBPF_DEBUG && xg_verbose < 2)
		return 0;
	if (!xg_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	int i = 1;
	size_t v;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			xg_verbose++;
		} else if (!strcmp(argv[i], "-vv")) {
			xg_verbose += 2;
		} else if (!strcmp(argv[i], "--pin-dir")) {
			if (i + 1 >= argc) {
				xg_err("option --pin-dir needs a directory (see 'xdpguard --help')");
				return 2;
			}
			xg_set_pin_dir(argv[++i]);
		} else if (!strcmp(argv[i], "-h") ||
			   !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			printf("xdpguard %s\n", XG_VERSION);
			return 0;
		} else {
			xg_err("unknown option '%s' (see 'xdpguard --help')",
			       xg_shorten(argv[i]));
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (xg_check_pin_dir())
		return 2;
	/* Each verb reports bad options itself, in one line. */
	opterr = 0;
	libbpf_set_print(print_libbpf);
	for (v = 0; v < ARRAY_SIZE(verbs); v++)
		if (!strcmp(argv[i], verbs[v].name))
			return verbs[v].fn(argc - i, argv + i);
	xg_err("unknown verb '%s' (see 'xdpguard --help')",
	       xg_shorten(argv[i]));
	return 2;
}
