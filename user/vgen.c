// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The verdict generation, mapped into this process. bpf_map_update_elem()
 * cannot serve: two writers (the daemon and a CLI, or the XDP program's own
 * scan ban) could both read N and both write N + 1, and a verdict cached
 * under N + 1 between the two would survive the second writer's change. An
 * mmap of the array and an atomic add make every bump count.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>

#include "common.h"
#include "vgen.h"
#include "xdpguard.h"

static volatile __u64 *gen;
static bool tried;
static int warned;

static int map_it(int fd)
{
	void *p = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	if (gen)
		munmap((void *)gen, sysconf(_SC_PAGESIZE));
	gen = p;
	return 0;
}

int xg_vgen_use(int map_fd)
{
	tried = true;
	return map_it(map_fd);
}

static void open_pinned(void)
{
	char path[256];
	int fd, err;

	tried = true;
	if (xg_pin_path(path, sizeof(path), XG_MAP_GEN))
		return;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		/* Not loaded: nothing is cached anywhere. */
		if (errno == ENOENT)
			tried = false;
		else if (!warned++)
			xg_warn("cannot open %s: %s; cached verdicts may stay stale until the next change",
				path, strerror(errno));
		return;
	}
	err = map_it(fd);
	if (err && !warned++)
		xg_warn("cannot map %s: %s; cached verdicts may stay stale until the next change",
			path, strerror(-err));
	close(fd);
}

void xg_verdicts_changed(void)
{
	if (!gen && !tried)
		open_pinned();
	if (gen)
		__atomic_fetch_add(gen, 1, __ATOMIC_SEQ_CST);
}
