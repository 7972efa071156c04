/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Small helpers every part of user space shares: messages, clocks, paths. */
#ifndef XG_COMMON_H
#define XG_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NSEC_PER_SEC 1000000000ULL

extern int xg_verbose;

/* "xdpguard: <message>" on stderr; each error is reported once, where it happens. */
void xg_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void xg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void xg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* CLOCK_MONOTONIC in ns: the clock bpf_ktime_get_ns() reads. */
__u64 xg_mono_ns(void);
/* CLOCK_REALTIME in ns, for timestamps people read and for state files. */
__u64 xg_real_ns(void);

/* Directory holding the pinned maps and links ($XDPGUARD_PIN_DIR or default). */
const char *xg_pin_dir(void);
void xg_set_pin_dir(const char *dir);
/* "<pin dir>/<name>" into buf; -ENAMETOOLONG if it does not fit. */
int xg_pin_path(char *buf, size_t len, const char *name);

/* Mounts bpffs on /sys/fs/bpf when it is not there yet. */
int xg_ensure_bpffs(void);

/*
 * A user's string fit to echo in a one-line message: at most 64 bytes, then
 * "...", control bytes shown as '?'. Four rotating per-thread buffers, so a
 * message may quote up to four strings.
 */
const char *xg_shorten(const char *s);
/* 0, or -EINVAL after reporting why the pin directory cannot be used. */
int xg_check_pin_dir(void);

/* Explains an errno from a bpf() call in words an operator can act on. */
const char *xg_bpf_strerror(int err);

#endif /* XG_COMMON_H */
