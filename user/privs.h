/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What a permission error means, in capabilities. Verbs do not check for
 * root up front: they try, and a refusal is explained by what this process
 * lacks (libcap reads its effective set).
 */
#ifndef XG_PRIVS_H
#define XG_PRIVS_H

#include <stddef.h>

/* Capabilities an operation needs; CAP_SYS_ADMIN stands in for any. */
#define XG_NEED_BPF 1U /* maps, programs, links */
#define XG_NEED_NET_ADMIN 2U /* XDP programs and attaching them */
#define XG_NEED_PERFMON 4U /* the verifier's pointer checks for our program */
#define XG_NEED_RUN (XG_NEED_BPF | XG_NEED_NET_ADMIN | XG_NEED_PERFMON)

/*
 * "CAP_BPF, CAP_PERFMON" for the needed capabilities missing from the
 * effective set, "" when none is (then the refusal came from elsewhere:
 * file permissions, a security module).
 */
const char *xg_caps_missing(unsigned int need, char *buf, size_t len);

/*
 * Why bpf() said EPERM or EACCES for an operation needing `need`: names the
 * missing capabilities, or else points at the pins' file permissions.
 */
const char *xg_perm_explain(int err, unsigned int need, char *buf, size_t len);

#endif /* XG_PRIVS_H */
