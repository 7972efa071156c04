// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The daemon loop. It waits in poll() on a timerfd (poll interval) and a
 * signalfd (SIGINT, SIGTERM), so signals need no handler and nothing runs
 * in signal context. Each tick reads the counters, lets the detector judge
 * them against the measured monotonic time (never the sleep length), writes
 * the bans it decides, and sweeps expired ones.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bans.h"
#include "common.h"
#include "daemon.h"
#include "detect.h"
#include "maps.h"
#include "output.h"
#include "parse.h"
#include "pollstat.h"
#include "selfprotect.h"
#include "sockdiag.h"
#include "xdpguard.skel.h"

struct daemon {
	const struct xg_run_cfg *cfg;
	struct xg_loader loader;
	struct xg_detector *det;
	int bans_fd;
	int allow_fd;
	__u64 last_conn_ns;
	struct xg_conn_count *conns;
	size_t nconns;
	struct xg_pollstat ps;
	__u64 idle_ns; /* a source this long without packets is deleted */
};

static bool is_allowed(const struct xg_addr *a, void *ctx)
{
	struct daemon *d = ctx;

	return xg_allow_match(d->allow_fd, a);
}

static void on_event(const struct xg_event *ev, void *ctx)
{
	struct daemon *d = ctx;
	char a[XG_ADDR_STRLEN];
	int err;

	xg_output_event(ev);
	if (ev->type != XG_EV_BAN)
		return;
	err = xg_ban_add(d->bans_fd, &ev->src, ev->ttl_ns, ev->reason,
			 ev->repeat);
	if (err) {
		xg_output_note("error", NULL, "cannot ban %s: %s",
			       xg_addr_str(&ev->src, a, sizeof(a)),
			       xg_bpf_strerror(err));
		/* Not banned after all: let the detector catch it again. */
		xg_detector_forget(d->det, &ev->src);
	}
}

static void on_unban(const struct xg_ban_entry *e, void *ctx)
{
	struct daemon *d = ctx;
	char a[XG_ADDR_STRLEN];
	json_object *o = json_object_new_object();

	xg_addr_str(&e->addr, a, sizeof(a));
	json_object_object_add(o, "src", json_object_new_string(a));
	json_object_object_add(
		o, "reason",
		json_object_new_string(xg_reason_name(e->ban.reason)));
	xg_output_note("unban", o, "src=%s reason=%s (expired)", a,
		       xg_reason_name(e->ban.reason));
	xg_detector_forget(d->det, &e->addr);
}

static void tick(struct daemon *d)
{
	const struct xg_run_cfg *cfg = d->cfg;
	struct xdpguard_bpf *skel = d->loader.skel;
	struct xg_src_sample *src = NULL;
	struct xg_dst_sample *dst = NULL;
	size_t nsrc = 0, ndst = 0;
	__u64 now;

	if (xg_read_sources(bpf_map__fd(skel->maps.src_stats),
			    cfg->load.port_win_shift, &src, &nsrc) ||
	    xg_read_dsts(bpf_map__fd(skel->maps.dst_stats), &dst, &ndst))
		goto out;
	now = xg_mono_ns();
	if (cfg->conn_poll_ms &&
	    now - d->last_conn_ns >= cfg->conn_poll_ms * 1000000ULL) {
		free(d->conns);
		d->conns = NULL;
		d->nconns = 0;
		if (xg_sockdiag_count(&d->conns, &d->nconns))
			d->nconns = 0;
		d->last_conn_ns = now;
	}
	xg_detector_poll(d->det, now, src, nsrc, dst, ndst, d->conns, d->nconns,
			 is_allowed, on_event, d);
	/* Idle past every window: the kernel entry only costs polls now. */
	if (now > d->idle_ns)
		xg_src_expire(bpf_map__fd(skel->maps.src_stats), src, nsrc,
			      now - d->idle_ns);
	/* Socket counts are a snapshot: judge each one once. */
	d->nconns = 0;
	xg_ban_sweep(d->bans_fd, xg_mono_ns(), on_unban, d);
	xg_self_protect(d->allow_fd, cfg->self_protect, xg_mono_ns());
out:
	free(src);
	free(dst);
}

/*
 * Twice the longest window a source's history matters in (rate windows,
 * the kernel's port window, the re-alert quiet time), at least 30 s.
 */
static __u64 xg_src_idle_ns(const struct xg_run_cfg *cfg)
{
	const struct xg_detect_cfg *c = &cfg->det;
	__u64 w = 30 * NSEC_PER_SEC / 2;

	if (c->syn_window_ns > w)
		w = c->syn_window_ns;
	if (c->icmp_window_ns > w)
		w = c->icmp_window_ns;
	if (c->conn_window_ns > w)
		w = c->conn_window_ns;
	if (c->realert_ns > w)
		w = c->realert_ns;
	if ((1ULL << cfg->load.port_win_shift) > w)
		w = 1ULL << cfg->load.port_win_shift;
	return 2 * w;
}

/* One daemon per pin directory: the lock file says who runs. */
static int take_lock(void)
{
	char path[300];
	const char *dir = xg_pin_dir(), *base = strrchr(dir, '/');
	int fd;

	snprintf(path, sizeof(path), "/run/xdpguard%s%s.pid",
		 strcmp(dir, XG_PIN_DIR_DEFAULT) ? "-" : "",
		 strcmp(dir, XG_PIN_DIR_DEFAULT) ? (base ? base + 1 : dir) :
						   "");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		xg_err("cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		char pid[32] = "";

		if (read(fd, pid, sizeof(pid) - 1) < 0)
			pid[0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		xg_err("another xdpguard daemon is running (pid %s) for %s",
		       *pid ? pid : "?", dir);
		close(fd);
		return -EBUSY;
	}
	if (ftruncate(fd, 0) == 0)
		dprintf(fd, "%d\n", getpid());
	return fd;
}

static int make_fds(int *sfd, int *tfd, __u32 poll_ms)
{
	struct itimerspec its = {
		.it_interval = { poll_ms / 1000, poll_ms % 1000 * 1000000L },
		.it_value = { poll_ms / 1000, poll_ms % 1000 * 1000000L },
	};
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1); /* report poll-loop statistics */
	sigprocmask(SIG_BLOCK, &mask, NULL);
	*sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	*tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (*sfd < 0 || *tfd < 0 || timerfd_settime(*tfd, 0, &its, NULL)) {
		xg_err("cannot set up the event loop: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static void announce(struct daemon *d)
{
	json_object *o = json_object_new_object(), *ifs;
	char names[XG_MAX_IFACES * (IF_NAMESIZE + 16)] = "";
	int i;

	ifs = json_object_new_array();
	for (i = 0; i < d->loader.nifs; i++) {
		json_object *x = json_object_new_object();
		const struct xg_iface *f = &d->loader.ifs[i];

		json_object_object_add(x, "name",
				       json_object_new_string(f->name));
		json_object_object_add(
			x, "mode",
			json_object_new_string(xg_mode_name(f->mode)));
		json_object_array_add(ifs, x);
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
			 "%s%s (%s)", i ? ", " : "", f->name,
			 xg_mode_name(f->mode));
	}
	json_object_object_add(o, "ifaces", ifs);
	json_object_object_add(o, "dry_run",
			       json_object_new_boolean(d->cfg->det.dry_run));
	xg_output_note("start", o, "attached to %s%s; maps pinned under %s",
		       names, d->cfg->det.dry_run ? ", dry run" : "",
		       xg_pin_dir());
}

int xg_daemon_run(const struct xg_run_cfg *cfg)
{
	struct daemon d = { .cfg = cfg };
	int lock_fd, sfd = -1, tfd = -1, err, i;
	struct pollfd pfd[2];

	xg_output_init(stdout, cfg->json);
	lock_fd = take_lock();
	if (lock_fd < 0)
		return lock_fd;
	err = xg_load(&d.loader, &cfg->load);
	if (err)
		goto out_lock;
	for (i = 0; i < cfg->nifs; i++) {
		err = xg_attach(&d.loader, cfg->ifaces[i], cfg->mode);
		if (err)
			goto out_unload;
	}
	d.bans_fd = bpf_map__fd(d.loader.skel->maps.bans);
	d.allow_fd = bpf_map__fd(d.loader.skel->maps.allow);
	/* Before the first tick, so no detection ever sees them unprotected. */
	err = xg_self_protect(d.allow_fd, cfg->self_protect, xg_mono_ns());
	if (err)
		goto out_unload;
	d.idle_ns = xg_src_idle_ns(cfg);
	d.det = xg_detector_new(&cfg->det);
	if (!d.det) {
		err = -ENOMEM;
		goto out_unload;
	}
	err = make_fds(&sfd, &tfd, cfg->poll_ms);
	if (err)
		goto out_det;
	announce(&d);
	/* From here on the pins hold state worth keeping, whatever happens. */
	d.loader.fresh = false;

	pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = tfd, .events = POLLIN };
	for (;;) {
		struct signalfd_siginfo si;
		__u64 ticks, t0, t1;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			xg_err("poll failed: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents & POLLIN &&
		    read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGUSR1) {
				xg_pollstat_report(&d.ps, cfg->poll_ms);
			} else if (si.ssi_signo != SIGHUP) {
				xg_pollstat_report(&d.ps, cfg->poll_ms);
				xg_output_note("stop", NULL, "%s: detaching",
					       strsignal(si.ssi_signo));
				break;
			}
		}
		if (pfd[1].revents & POLLIN &&
		    read(tfd, &ticks, sizeof(ticks)) == sizeof(ticks)) {
			if (!xg_any_attached(&d.loader)) {
				xg_output_note(
					"stop", NULL,
					"detached from every interface ('xdpguard detach'); exiting");
				break;
			}
			t0 = xg_mono_ns();
			tick(&d);
			t1 = xg_mono_ns();
			xg_pollstat_tick(&d.ps, t1 - t0, ticks, cfg->poll_ms,
					 t1);
		}
	}
	close(sfd);
	close(tfd);
out_det:
	xg_detector_free(d.det);
	free(d.conns);
out_unload:
	/* Maps stay pinned: bans survive until the next run. */
	xg_unload(&d.loader);
	/* Unless this run created them and failed: a failed run changes nothing. */
	if (err && d.loader.fresh)
		xg_unpin_if_unused();
out_lock:
	close(lock_fd);
	return err;
}
