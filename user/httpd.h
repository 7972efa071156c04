/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The metrics endpoint: libmicrohttpd serving GET /metrics from its own
 * thread, so a slow or stuck client never delays the daemon's poll loop.
 */
#ifndef XG_HTTPD_H
#define XG_HTTPD_H

#include <stddef.h>
#include <sys/socket.h>

/*
 * "PORT" (loopback: 127.0.0.1), "ADDR:PORT" (IPv4 or "localhost") or
 * "[ADDR]:PORT" (IPv6). Returns -EINVAL, the reason then in
 * xg_listen_error().
 */
int xg_listen_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len);
const char *xg_listen_error(void);

/*
 * Produces the page: a malloc'd buffer the server frees. Runs in the
 * server's thread.
 */
typedef int (*xg_httpd_fn)(void *ctx, char **buf, size_t *len);

struct xg_httpd;

/*
 * Binds addr, reporting a bad address or a busy port once: done before
 * anything is attached, so that mistake changes nothing.
 */
int xg_httpd_open(const char *addr, struct xg_httpd **out);
/*
 * Starts serving from a thread created with every signal blocked, so
 * signals still reach only the daemon's signalfd.
 */
int xg_httpd_start(struct xg_httpd *h, xg_httpd_fn fn, void *ctx);
void xg_httpd_stop(struct xg_httpd *h);

#endif /* XG_HTTPD_H */
