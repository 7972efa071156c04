// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The event log file and syslog. Each event is one line written with one
 * write() on an O_APPEND descriptor, so lines never interleave and a reader
 * tailing the file sees whole events.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "common.h"
#include "evlog.h"
#include "output.h"

static int log_fd = -1;
static char *log_path;
static bool use_syslog;
static unsigned long long errors;

static int open_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0) {
		int err = -errno;

		xg_err("cannot open log file %s: %s", path, strerror(errno));
		return err;
	}
	return fd;
}

int xg_evlog_open(const char *path)
{
	int fd = open_log(path);

	if (fd < 0)
		return fd;
	free(log_path);
	log_path = strdup(path);
	if (!log_path) {
		close(fd);
		return -ENOMEM;
	}
	if (log_fd >= 0)
		close(log_fd);
	log_fd = fd;
	return 0;
}

int xg_evlog_reopen(void)
{
	int fd;

	if (!log_path)
		return 0;
	fd = open_log(log_path);
	if (fd < 0)
		return fd;
	close(log_fd);
	log_fd = fd;
	return 0;
}

void xg_evlog_syslog(bool on)
{
	if (on && !use_syslog)
		openlog("xdpguard", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!on && use_syslog)
		closelog();
	use_syslog = on;
}

void xg_evlog_close(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	free(log_path);
	log_path = NULL;
	xg_evlog_syslog(false);
}

void xg_evlog_write(json_object *o, const char *text, int prio)
{
	if (log_fd >= 0 && o) {
		const char *s =
			json_object_to_json_string_ext(o, XG_JSON_FLAGS);
		size_t len = strlen(s);
		char *line = malloc(len + 1);

		if (line) {
			memcpy(line, s, len);
			line[len] = '\n';
			if (write(log_fd, line, len + 1) != (ssize_t)len + 1)
				errors++;
			free(line);
		} else {
			errors++;
		}
	}
	if (use_syslog && text)
		syslog(prio, "%s", text);
}

unsigned long long xg_evlog_errors(void)
{
	return errors;
}
