// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Messages, clocks and the pin directory, shared by the daemon and the CLI. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>

#include "common.h"
#include "privs.h"
#include "xdpguard.h"

int xg_verbose;
static const char *pin_dir;

static void vmsg(const char *level, const char *fmt, va_list ap)
{
	fprintf(stderr, "xdpguard: %s", level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void xg_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void xg_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void xg_info(const char *fmt, ...)
{
	va_list ap;

	if (!xg_verbose)
		return;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

__u64 xg_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

__u64 xg_real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

const char *xg_pin_dir(void)
{
	const char *env;

	if (pin_dir)
		return pin_dir;
	env = getenv("XDPGUARD_PIN_DIR");
	return env && *env ? env : XG_PIN_DIR_DEFAULT;
}

void xg_set_pin_dir(const char *dir)
{
	pin_dir = dir;
}

int xg_pin_path(char *buf, size_t len, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", xg_pin_dir(), name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

const char *xg_shorten(const char *s)
{
	static __thread char buf[4][72];
	static __thread int next;
	char *b = buf[next++ % 4];
	size_t i;

	for (i = 0; s[i] && i < 64; i++)
		b[i] = s[i] < 0x20 || s[i] > 0x7e ? '?' : s[i];
	b[i] = '\0';
	if (s[i])
		strcpy(b + i, "...");
	return b;
}

/*
 * Pins are "<dir>/<map>" and "<dir>/link_<ifname>" in 256-byte buffers, and
 * the lock file is named after the directory: refuse what would not fit
 * rather than truncate into another path.
 */
#define XG_PIN_DIR_MAX 200

int xg_check_pin_dir(void)
{
	const char *dir = xg_pin_dir();

	if (dir[0] != '/') {
		xg_err("pin directory '%s' must be an absolute path",
		       xg_shorten(dir));
		return -EINVAL;
	}
	if (strlen(dir) > XG_PIN_DIR_MAX) {
		xg_err("pin directory '%s' is too long (at most %d characters)",
		       xg_shorten(dir), XG_PIN_DIR_MAX);
		return -EINVAL;
	}
	return 0;
}

int xg_ensure_bpffs(void)
{
	struct statfs st;

	if (statfs("/sys/fs/bpf", &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		int err = -errno;

		xg_err("cannot mount bpffs on /sys/fs/bpf: %s%s",
		       strerror(errno),
		       errno == EPERM ? " (mounting needs CAP_SYS_ADMIN)" : "");
		return err;
	}
	xg_info("mounted bpffs on /sys/fs/bpf");
	return 0;
}

const char *xg_bpf_strerror(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case EPERM:
	case EACCES: {
		static __thread char buf[200];

		return xg_perm_explain(err, XG_NEED_BPF, buf, sizeof(buf));
	}
	case ENOENT:
		return "not found";
	case E2BIG: /* hash maps */
	case ENOSPC: /* LPM tries */
		return "map is full";
	default:
		return strerror(err);
	}
}
