// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* import: load a blocklist file as one source, or remove a source. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocklist.h"
#include "cli.h"
#include "common.h"
#include "import.h"
#include "maps.h"
#include "parse.h"

static void usage_line(void)
{
	fprintf(stderr,
		"usage: xdpguard import FILE [--name NAME] [--ttl DURATION] [--reason TEXT] [--skip-bad]\n"
		"       xdpguard import --remove NAME\n");
}

int do_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ttl", required_argument, NULL, 't' },
		{ "reason", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "skip-bad", no_argument, NULL, 's' },
		{ "remove", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *name = NULL, *note = NULL, *remove = NULL, *path;
	char src_name[XG_SOURCE_NAME_LEN], d[XG_DURATION_STRLEN];
	struct xg_import_result res = {};
	struct xg_import_opts io = {};
	struct xg_blocklist bl = {};
	struct xg_lists l;
	struct xg_maps m;
	bool skip_bad = false;
	__u64 ttl = 0, t0;
	int c, err;

	optind = 1;
	opterr = 0; /* one message: ours */
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case ':':
			return xg_usage_error("import", "option %s needs a value",
					      argv[optind - 1]);
		case 't':
			if (xg_parse_duration(optarg, &ttl)) {
				xg_err("invalid duration '%s': %s", optarg,
				       xg_parse_error());
				return 2;
			}
			break;
		case 'r':
			if (strlen(optarg) >= XG_SOURCE_NAME_LEN) {
				xg_err("--reason is too long (at most %d characters)",
				       XG_SOURCE_NAME_LEN - 1);
				return 2;
			}
			note = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 's':
			skip_bad = true;
			break;
		case 'R':
			remove = optarg;
			break;
		case 'h':
			usage_line();
			return 0;
		default:
			return xg_usage_error("import", "unknown option '%s'",
					      argv[optind - 1]);
		}
	}
	if (remove) {
		if (optind < argc || name || note || ttl || skip_bad)
			return xg_usage_error(
				"import",
				"--remove NAME takes no file and no other option");
		if (xg_source_name_of(remove, remove, src_name,
				      sizeof(src_name)))
			return 2;
	} else {
		if (optind >= argc)
			return xg_usage_error("import", "missing FILE");
		if (optind + 1 < argc)
			return xg_usage_error("import",
					      "unexpected argument '%s'",
					      argv[optind + 1]);
		if (xg_source_name_of(argv[optind], name, src_name,
				      sizeof(src_name)))
			return 2;
	}
	t0 = xg_mono_ns();
	path = remove ? NULL : argv[optind];
	if (path && xg_blocklist_load_checked(path, skip_bad, &bl))
		return 1;
	if (xg_maps_open(&m)) {
		xg_blocklist_free(&bl);
		return 1;
	}
	l = (struct xg_lists){ .allow = m.allow,
			       .bans = m.bans,
			       .prefixes = m.prefixes,
			       .sources = m.sources,
			       .meta = m.meta };
	if (remove) {
		err = xg_import_remove(&l, src_name, &res);
		if (!err)
			printf("removed blocklist %s: released %zu prefixes; ban_prefixes %zu / %zu\n",
			       src_name, res.dropped, res.entries,
			       res.max_entries);
	} else {
		io.name = src_name;
		io.note = note;
		io.expires_ns = ttl ? xg_mono_ns() + ttl : 0;
		err = xg_import_apply(&l, &io, bl.keys, bl.n, &res);
		if (!err)
			printf("loaded blocklist %s from %s: %zu prefixes (%zu new, %zu no longer listed), expires %s, in %.3f s; ban_prefixes %zu / %zu\n",
			       src_name, path, res.total, res.added,
			       res.dropped,
			       ttl ? xg_duration_str(ttl, d, sizeof(d)) :
				     "never",
			       (xg_mono_ns() - t0) / 1e9, res.entries,
			       res.max_entries);
	}
	xg_maps_close(&m);
	xg_blocklist_free(&bl);
	return err ? 1 : 0;
}
