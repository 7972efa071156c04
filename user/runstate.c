// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Files the daemon publishes in /run for the CLI (alarms, recent drop
 * samples). Why files and not a pinned BPF map: their content is variable
 * (addresses, kinds, texts), only user space writes and reads them, scripts
 * can read them with cat and jq, and the datapath stays untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "output.h"
#include "runstate.h"
#include "xdpguard.h"

int xg_run_path(char *buf, size_t len, const char *name)
{
	const char *dir = xg_pin_dir(), *base = strrchr(dir, '/');
	bool def = !strcmp(dir, XG_PIN_DIR_DEFAULT);
	int n;

	n = snprintf(buf, len, "/run/xdpguard%s%s.%s", def ? "" : "-",
		     def ? "" : (base ? base + 1 : dir), name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int xg_runstate_write(const char *name, json_object *o)
{
	char path[320], tmp[330], ts[40];
	const char *s;
	size_t len;
	int fd, err = 0;

	if (xg_run_path(path, sizeof(path), name))
		return -ENAMETOOLONG;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "ts",
			       json_object_new_string(xg_ts_str(
				       xg_real_ns(), ts, sizeof(ts))));
	s = json_object_to_json_string_ext(o, XG_JSON_FLAGS);
	len = strlen(s);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, s, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

void xg_runstate_remove(const char *name)
{
	char path[320];

	if (!xg_run_path(path, sizeof(path), name))
		unlink(path);
}

int xg_runstate_read(const char *name, json_object **out)
{
	json_object *o, *pid;
	char path[320];

	if (xg_run_path(path, sizeof(path), name))
		return -ENAMETOOLONG;
	if (access(path, F_OK))
		return -ENOENT;
	o = json_object_from_file(path);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -EINVAL;
	}
	if (!json_object_object_get_ex(o, "pid", &pid) ||
	    (kill(json_object_get_int(pid), 0) && errno == ESRCH)) {
		json_object_put(o);
		return -ENOENT;
	}
	*out = o;
	return 0;
}
