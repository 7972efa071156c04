// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The settings table, the INI reader (inih) and the flag reader over it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <ini.h>
#include <sys/stat.h>

#include "common.h"
#include "config.h"
#include "parse.h"

/* T_STR: a string of at most max bytes; T_PATHS: appends to a list. */
enum type { T_U32, T_DUR, T_DOUBLE, T_BOOL, T_MODE, T_STR, T_PATHS };

struct setting {
	const char *section;
	const char *name;
	enum type type;
	size_t off;
	double min, max; /* for numbers; durations in seconds */
	const char *help;
};

#define DET(f) offsetof(struct xg_run_cfg, det.f)
#define LOAD(f) offsetof(struct xg_run_cfg, load.f)
#define RUN(f) offsetof(struct xg_run_cfg, f)
#define OBS(f) offsetof(struct xg_run_cfg, obs.f)
/* The size of an obs string buffer (a T_STR max is one less). */
#define STRSZ(f) sizeof(((struct xg_run_cfg *)0)->obs.f)
#define GUARD(f) offsetof(struct xg_run_cfg, guard.f)
#define DAY 86400.0

static const struct setting settings[] = {
	{ "run", "mode", T_MODE, RUN(mode), 0, 0,
	  "attach mode: native, generic or auto" },
	{ "run", "poll_ms", T_U32, RUN(poll_ms), 10, 10000,
	  "how often counters are read, ms" },
	{ "run", "conn_poll_ms", T_U32, RUN(conn_poll_ms), 0, 60000,
	  "how often sockets are counted (sock_diag), ms; 0 = off" },
	{ "run", "dry_run", T_BOOL, DET(dry_run), 0, 0,
	  "detect and report, never ban" },
	{ "run", "keep_attached", T_BOOL, GUARD(keep_attached), 0, 0,
	  "on exit leave the program attached, bans enforced; the next run takes over with no gap" },
	{ "run", "state_file", T_STR, GUARD(state_file), 0, XG_PATH_LEN - 1,
	  "where bans are saved for a reboot (default /var/lib/xdpguard/state.json; none = off)" },
	{ "run", "state_interval", T_DUR, GUARD(state_interval_ns), 1, 3600,
	  "a change of the bans is saved within this" },
	{ "lists", "blocklist", T_PATHS, GUARD(blocklists), 0, XG_PATH_LEN - 1,
	  "a blocklist file loaded at start and on SIGHUP (repeatable)" },
	{ "lists", "skip_bad", T_BOOL, GUARD(skip_bad), 0, 0,
	  "load blocklists without their bad lines (else a bad line stops the start)" },
	{ "run", "self_protect", T_BOOL, RUN(self_protect), 0, 0,
	  "never ban own addresses, default gateways, the SSH peer" },
	{ "detect", "scan_ports", T_U32, DET(scan_ports), 2, 65536,
	  "distinct destination ports in a port window = port scan" },
	{ "detect", "syn_rate", T_U32, DET(syn_rate), 1, 1e9,
	  "SYNs from one source within syn_window = SYN flood" },
	{ "detect", "syn_window", T_DUR, DET(syn_window_ns), 0.05, 3600,
	  "window of syn_rate and spoof_syn_rate" },
	{ "detect", "syn_ratio", T_DOUBLE, DET(syn_ratio), 0, 1,
	  "below this share of SYNs among its packets, a source opens real connections (conn_flood)" },
	{ "detect", "icmp_rate", T_U32, DET(icmp_rate), 1, 1e9,
	  "echo requests from one source within icmp_window = ICMP flood" },
	{ "detect", "icmp_window", T_DUR, DET(icmp_window_ns), 0.05, 3600,
	  "window of icmp_rate" },
	{ "detect", "conn_rate", T_U32, DET(conn_rate), 1, 1e9,
	  "new connections from one source within conn_window = connection flood" },
	{ "detect", "conn_window", T_DUR, DET(conn_window_ns), 0.05, 3600,
	  "window of conn_rate" },
	{ "detect", "conn_max", T_U32, DET(conn_max), 0, 1e9,
	  "established sockets from one address = connection flood; 0 = off" },
	{ "detect", "spoof_syn_rate", T_U32, DET(spoof_syn_rate), 1, 1e9,
	  "SYNs to one destination within syn_window, no source over syn_rate = spoofed SYN flood alarm" },
	{ "detect", "realert", T_DUR, DET(realert_ns), 0.05, DAY,
	  "quiet time before the same alert is repeated" },
	{ "ban", "ban_ttl", T_DUR, DET(ban_ttl_ns), 1, 365 * DAY,
	  "first ban's duration" },
	{ "ban", "ban_ttl_max", T_DUR, DET(ban_ttl_max_ns), 1, 365 * DAY,
	  "cap of the doubling ban duration" },
	{ "ban", "repeat_window", T_DUR, DET(repeat_window_ns), 1, 365 * DAY,
	  "a new offense within this doubles the ban" },
	{ "ban", "v6_prefix", T_U32, GUARD(v6_prefix), 16, 128,
	  "IPv6 offenders are counted and banned per /N as well (128 = per address only)" },
	{ "ban", "widen_after", T_U32, GUARD(widen_after), 0, 65536,
	  "this many bans inside one widen_v4/widen_v6 prefix ban the prefix; 0 = off" },
	{ "ban", "widen_v4", T_U32, GUARD(widen_v4), 8, 31,
	  "IPv4 prefix length bans are widened to" },
	{ "ban", "widen_v6", T_U32, GUARD(widen_v6), 16, 127,
	  "IPv6 prefix length bans are widened to" },
	{ "maps", "bans_max", T_U32, LOAD(bans_max), 16, 1 << 24,
	  "capacity of the ban table" },
	{ "maps", "allow_max", T_U32, LOAD(allow_max), 16, 1 << 20,
	  "capacity of the allowlist" },
	{ "maps", "src_max", T_U32, LOAD(src_max), 1024, 1 << 24,
	  "tracked sources (LRU)" },
	{ "maps", "dst_max", T_U32, LOAD(dst_max), 16, 1 << 20,
	  "tracked destinations (LRU)" },
	{ "maps", "prefix_bans_max", T_U32, LOAD(prefixes_max), 16, 1 << 24,
	  "capacity of the prefix ban trie (allocated per entry)" },
	{ "maps", "port_win_shift", T_U32, LOAD(port_win_shift), 26, 40,
	  "port window = 2^N ns (33 = 8.6 s)" },
	{ "observe", "metrics", T_STR, OBS(metrics), 0, STRSZ(metrics) - 1,
	  "serve Prometheus metrics on [ADDR:]PORT (loopback unless ADDR); off by default" },
	{ "observe", "log_file", T_STR, OBS(log_file), 0, STRSZ(log_file) - 1,
	  "append events as JSON lines to this file (reopened on SIGHUP)" },
	{ "observe", "syslog", T_BOOL, OBS(syslog), 0, 0,
	  "send events to syslog too (flag: --syslog)" },
	{ "observe", "pcap", T_STR, OBS(pcap), 0, STRSZ(pcap) - 1,
	  "append drop samples to this pcap file (reopened on SIGHUP)" },
	{ "observe", "sample_rate", T_U32, LOAD(sample_rate), 0, 1000,
	  "dropped-packet samples kept per second; 0 = off" },
	{ "observe", "pressure_pct", T_U32, OBS(pressure_pct), 10, 100,
	  "a CPU's softirq share (percent) that means the receive path is saturated" },
	{ "observe", "pressure_secs", T_U32, OBS(pressure_secs), 1, 3600,
	  "seconds the share must hold before the host pressure alarm" },
};

void xg_cfg_defaults(struct xg_run_cfg *c)
{
	memset(c, 0, sizeof(*c));
	xg_detect_defaults(&c->det);
	c->load.bans_max = XG_BANS_MAX_DEFAULT;
	c->load.allow_max = XG_ALLOW_MAX_DEFAULT;
	c->load.src_max = XG_SRC_MAX_DEFAULT;
	c->load.dst_max = XG_DST_MAX_DEFAULT;
	c->load.prefixes_max = XG_PREFIXES_MAX_DEFAULT;
	xg_guard_defaults(&c->guard);
	c->load.port_win_shift = XG_PORT_WIN_SHIFT_DEFAULT;
	c->load.sample_rate = 10;
	xg_obs_defaults(&c->obs);
	c->poll_ms = 200;
	c->conn_poll_ms = 1000;
	c->mode = XG_MODE_AUTO;
	c->self_protect = true;
}

static const struct setting *find(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(settings); i++)
		if ((!section || !strcmp(section, settings[i].section)) &&
		    !strcmp(name, settings[i].name))
			return &settings[i];
	return NULL;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(v, yes[i]) || !strcmp(v, no[i])) {
			*out = !strcmp(v, yes[i]);
			return 0;
		}
	}
	return -EINVAL;
}

/* Sets one value; on error *why says what is wrong with it. */
static int apply(struct xg_run_cfg *c, const struct setting *s, const char *v,
		 const char **why)
{
	void *p = (char *)c + s->off;
	__u64 u, ns;
	double d;
	int err;

	switch (s->type) {
	case T_U32:
		err = xg_parse_u64(v, s->min, s->max, &u);
		if (!err)
			*(__u32 *)p = u;
		break;
	case T_DUR:
		err = xg_parse_duration(v, &ns);
		if (!err && (ns == 0 || ns < s->min * NSEC_PER_SEC ||
			     ns > s->max * NSEC_PER_SEC)) {
			*why = "duration out of range";
			return -ERANGE;
		}
		if (!err)
			*(__u64 *)p = ns;
		break;
	case T_DOUBLE:
		err = xg_parse_double(v, s->min, s->max, &d);
		if (!err)
			*(double *)p = d;
		break;
	case T_BOOL:
		err = parse_bool(v, (bool *)p);
		if (err)
			*why = "expected true or false";
		return err;
	case T_MODE:
		err = xg_mode_parse(v, (enum xg_mode *)p);
		if (err)
			*why = "expected native, generic or auto";
		return err;
	case T_STR:
		if (!*v || strlen(v) > s->max) {
			*why = *v ? "too long" : "empty";
			return -EINVAL;
		}
		strcpy(p, v);
		return 0;
	case T_PATHS: {
		struct xg_guard_cfg *g = &c->guard;

		if (!*v || strlen(v) > s->max) {
			*why = *v ? "too long" : "empty";
			return -EINVAL;
		}
		if (g->nblocklists >= XG_BLOCKLISTS_MAX) {
			*why = "too many blocklists (at most 16)";
			return -E2BIG;
		}
		strcpy(g->blocklists[g->nblocklists++], v);
		return 0;
	}
	default:
		return -EINVAL;
	}
	if (err)
		*why = xg_parse_error();
	return err;
}

/*
 * Debian's inih calls the handler without a line number and returns only
 * the line of the first error, and its fgets() would quietly split a long
 * line in two or stop a line at a NUL byte. So lines come through our own
 * reader, which counts them and refuses what is not a text line; the first
 * error, ours or inih's syntax error, is the one reported.
 */
struct ini_ctx {
	struct xg_run_cfg *cfg;
	FILE *f;
	int line; /* lines read so far: the handler's current line */
	int err_line; /* line of the first error we found; 0 = none */
	char msg[256];
};

static void ini_fail(struct ini_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void ini_fail(struct ini_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->err_line)
		return;
	ctx->err_line = ctx->line;
	va_start(ap, fmt);
	vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
	va_end(ap);
}

static char *ini_read(char *str, int num, void *stream)
{
	struct ini_ctx *ctx = stream;
	int c, n = 0;

	for (;;) {
		c = getc(ctx->f);
		if (c == EOF) {
			if (!n)
				return NULL;
			break;
		}
		if (n == 0)
			ctx->line++;
		if (c == '\n')
			break;
		if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
			ini_fail(ctx, "control byte 0x%02x: not a text file",
				 c);
		if (n >= num - 2) {
			ini_fail(ctx, "line longer than %d characters",
				 num - 2);
			continue; /* skip to the end of the line */
		}
		str[n++] = c ? c : ' ';
	}
	str[n++] = '\n';
	str[n] = '\0';
	return str;
}

static int on_ini(void *user, const char *section, const char *name,
		  const char *value)
{
	struct ini_ctx *ctx = user;
	const struct setting *s = find(section, name);
	const char *why = NULL;

	if (!s) {
		s = find(NULL, name);
		if (s)
			ini_fail(
				ctx,
				"setting '%s' belongs in section [%s], not [%s]",
				name, s->section, xg_shorten(section));
		else
			ini_fail(ctx, "unknown setting '%s' in section [%s]",
				 xg_shorten(name), xg_shorten(section));
		return 0;
	}
	if (apply(ctx->cfg, s, value, &why)) {
		ini_fail(ctx, "invalid %s '%s': %s", name, xg_shorten(value),
			 why);
		return 0;
	}
	return 1;
}

int xg_cfg_load(struct xg_run_cfg *c, const char *path)
{
	struct xg_run_cfg tmp = *c;
	struct ini_ctx ctx = { .cfg = &tmp };
	FILE *f = fopen(path, "r");
	const char *msg;
	struct stat st;
	int rc, err;

	if (!f) {
		err = -errno;
		xg_err("cannot read config file %s: %s", xg_shorten(path),
		       strerror(errno));
		return err;
	}
	/* fopen() takes a directory; reading it would look like an empty file. */
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		xg_err("config file %s is not a regular file",
		       xg_shorten(path));
		fclose(f);
		return -EINVAL;
	}
	ctx.f = f;
	rc = ini_parse_stream(ini_read, &ctx, on_ini, &ctx);
	err = ferror(f) ? -EIO : 0;
	fclose(f);
	if (err) {
		xg_err("cannot read config file %s: read error",
		       xg_shorten(path));
		return err;
	}
	if (rc < 0) {
		xg_err("cannot read config file %s: out of memory",
		       xg_shorten(path));
		return -ENOMEM;
	}
	/* inih's rc is its first syntax or handler error; ours may be earlier. */
	if (ctx.err_line && (!rc || ctx.err_line <= rc)) {
		rc = ctx.err_line;
		msg = ctx.msg;
	} else {
		msg = "syntax error (expected [section] or name = value)";
	}
	if (rc) {
		xg_err("%s:%d: %s", xg_shorten(path), rc, msg);
		return -EINVAL;
	}
	*c = tmp;
	return 0;
}

int xg_cfg_flag(struct xg_run_cfg *c, const char *flag, const char *value)
{
	char name[64];
	const struct setting *s;
	const char *why = NULL;
	size_t i;

	if (strncmp(flag, "--", 2) || strlen(flag) - 2 >= sizeof(name))
		return 0;
	for (i = 0; flag[i + 2]; i++)
		name[i] = flag[i + 2] == '-' ? '_' : flag[i + 2];
	name[i] = '\0';
	s = find(NULL, name);
	if (!s)
		return 0;
	if (!value) {
		xg_err("option %s needs a value", flag);
		return -EINVAL;
	}
	if (apply(c, s, value, &why)) {
		xg_err("invalid %s '%s': %s", flag, xg_shorten(value), why);
		return -EINVAL;
	}
	return 1;
}

int xg_cfg_check(const struct xg_run_cfg *c)
{
	if (c->det.ban_ttl_ns > c->det.ban_ttl_max_ns) {
		xg_err("ban_ttl is longer than ban_ttl_max");
		return -EINVAL;
	}
	if (xg_obs_check(&c->obs))
		return -EINVAL;
	return xg_guard_check(&c->guard);
}

/* A setting's value in c, as the config file and the flags write it. */
static const char *value_str(const struct xg_run_cfg *c,
			     const struct setting *s, char *buf, size_t len)
{
	const void *p = (const char *)c + s->off;

	switch (s->type) {
	case T_U32:
		snprintf(buf, len, "%u", *(const __u32 *)p);
		break;
	case T_DUR:
		xg_duration_str(*(const __u64 *)p, buf, len);
		break;
	case T_DOUBLE:
		snprintf(buf, len, "%g", *(const double *)p);
		break;
	case T_BOOL:
		snprintf(buf, len, "%s", *(const bool *)p ? "true" : "false");
		break;
	case T_MODE:
		snprintf(buf, len, "%s",
			 xg_mode_name(*(const enum xg_mode *)p));
		break;
	case T_STR:
		snprintf(buf, len, "%s",
			 *(const char *)p ? (const char *)p : "none");
		break;
	case T_PATHS:
		snprintf(buf, len, "none");
		break;
	}
	return buf;
}

void xg_cfg_usage(FILE *f)
{
	struct xg_run_cfg def;
	char dash[64], val[32];
	size_t i;

	xg_cfg_defaults(&def);
	for (i = 0; i < ARRAY_SIZE(settings); i++) {
		size_t j;

		for (j = 0; settings[i].name[j] && j < sizeof(dash) - 1; j++)
			dash[j] = settings[i].name[j] == '_' ?
					  '-' :
					  settings[i].name[j];
		dash[j] = '\0';
		value_str(&def, &settings[i], val, sizeof(val));
		/* A setting with no value by default says what that means. */
		if (!strcmp(val, "none"))
			fprintf(f, "  --%-16s [%s] %s\n", dash,
				settings[i].section, settings[i].help);
		else
			fprintf(f, "  --%-16s [%s] %s (default %s)\n", dash,
				settings[i].section, settings[i].help, val);
	}
}
