/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The verbs of the xdpguard command: main.c maps each name to do_<verb>(). */
#ifndef XG_CLI_H
#define XG_CLI_H

/* Each takes the arguments after the verb (argv[0] is the verb) and
 * returns the process exit status. */
int do_run(int argc, char **argv);
int do_ban(int argc, char **argv);
int do_unban(int argc, char **argv);
int do_bans(int argc, char **argv);
int do_allow(int argc, char **argv);
int do_unallow(int argc, char **argv);
int do_allows(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_top(int argc, char **argv);
int do_status(int argc, char **argv);
int do_detach(int argc, char **argv);
int do_samples(int argc, char **argv);
int do_import(int argc, char **argv);

/* "unexpected argument", "missing X" and unknown options all look alike. */
int xg_usage_error(const char *verb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The one-line message for getopt_long()'s '?' (unknown) or ':' (no value). */
int xg_opt_error(const char *verb, int c, int argc, char **argv);

#endif /* XG_CLI_H */
