// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Names the capabilities a refused operation lacks (libcap). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>

#include "privs.h"

static bool have(cap_t caps, cap_value_t c)
{
	cap_flag_value_t v = CAP_CLEAR;

	return caps && !cap_get_flag(caps, c, CAP_EFFECTIVE, &v) &&
	       v == CAP_SET;
}

const char *xg_caps_missing(unsigned int need, char *buf, size_t len)
{
	static const struct {
		unsigned int bit;
		cap_value_t cap;
		const char *name;
	} caps[] = {
		{ XG_NEED_BPF, CAP_BPF, "CAP_BPF" },
		{ XG_NEED_NET_ADMIN, CAP_NET_ADMIN, "CAP_NET_ADMIN" },
		{ XG_NEED_PERFMON, CAP_PERFMON, "CAP_PERFMON" },
	};
	cap_t cur = cap_get_proc();
	size_t i, pos = 0;

	buf[0] = '\0';
	/* CAP_SYS_ADMIN passes every one of these checks in the kernel. */
	if (!have(cur, CAP_SYS_ADMIN))
		for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
			if ((need & caps[i].bit) && !have(cur, caps[i].cap) &&
			    pos < len)
				pos += snprintf(buf + pos, len - pos, "%s%s",
						pos ? ", " : "", caps[i].name);
	if (cur)
		cap_free(cur);
	return buf;
}

const char *xg_perm_explain(int err, unsigned int need, char *buf, size_t len)
{
	char miss[64];

	if (err < 0)
		err = -err;
	xg_caps_missing(need, miss, sizeof(miss));
	if (*miss)
		snprintf(buf, len, "%s: missing %s (or run as root)",
			 err == EACCES ? "permission denied" :
					 "operation not permitted",
			 miss);
	else if (err == EACCES)
		snprintf(
			buf, len,
			"permission denied (no access to the pinned file: see 'Least privilege' in the README)");
	else
		snprintf(buf, len, "%s", strerror(err));
	return buf;
}
