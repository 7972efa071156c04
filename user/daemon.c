// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The daemon loop. It waits in poll() on a timerfd (poll interval), a
 * signalfd (SIGINT, SIGTERM; SIGHUP reopens the log files) and the drop
 * sample ring buffer, so signals need no handler and nothing runs in signal
 * context. Each tick reads the counters, lets the detector judge
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
#include "guard.h"
#include "maps.h"
#include "obs.h"
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
	struct xg_obs *obs;
	struct xg_guard *guard;
	int bans_fd;
	int allow_fd;
	__u64 last_conn_ns;
	struct xg_conn_count *conns;
	size_t nconns;
	/* The XDP program's own bans seen by this tick's sweep. */
	struct xg_addr *fresh;
	size_t nfresh, fresh_cap;
	struct xg_pollstat ps;
	struct xg_src_reader reader; /* buffers kept from tick to tick */
	__u64 idle_ns; /* a source this long without packets is deleted */
};

static bool is_allowed(const struct xg_addr *a, void *ctx)
{
	struct daemon *d = ctx;

	return xg_allow_match(d->allow_fd, a);
}

static bool is_banned(const struct xg_addr *a, void *ctx)
{
	struct daemon *d = ctx;
	struct xg_ban b;

	return !bpf_map_lookup_elem(d->bans_fd, a, &b) &&
	       xg_ban_live(&b, xg_mono_ns());
}

static void on_event(const struct xg_event *ev, void *ctx)
{
	struct daemon *d = ctx;

	xg_output_event(ev);
	xg_obs_event(d->obs, ev);
	/* Exact, or the offender's IPv6 prefix; widened when due. */
	if (ev->type == XG_EV_BAN && xg_guard_ban(d->guard, ev))
		/* Not banned after all: let the detector catch it again. */
		xg_detector_forget(d->det, &ev->src);
}

/* Reports the end of a's ban and lets the detector judge it afresh. */
static void report_unban(struct daemon *d, const struct xg_addr *addr,
			 __u32 reason)
{
	char a[XG_ADDR_STRLEN];
	json_object *o = json_object_new_object();
	const char *kind = xg_reason_kind(reason);

	xg_addr_str(addr, a, sizeof(a));
	/* Like the ban event it ends: the detector's kind, if it was one. */
	if (kind)
		json_object_object_add(o, "kind", json_object_new_string(kind));
	json_object_object_add(o, "src", json_object_new_string(a));
	json_object_object_add(o, "reason",
			       json_object_new_string(xg_reason_name(reason)));
	xg_output_note("unban", o, "src=%s reason=%s (expired)", a,
		       xg_reason_name(reason));
	xg_obs_unban(d->obs);
	xg_detector_forget(d->det, addr);
}

static void on_unban(const struct xg_ban_entry *e, void *ctx)
{
	report_unban(ctx, &e->addr, e->ban.reason);
}

static void on_unconfirmed(const struct xg_ban_entry *e, void *ctx)
{
	struct daemon *d = ctx;
	struct xg_addr *n;
	__u32 ended = xg_detector_ended(d->det, &e->addr, xg_mono_ns());

	/*
	 * A scanner that went on as its ban ran out is banned again by the
	 * program before the sweep could see the old ban expire: its end is
	 * reported here, in order, and the new ban is judged as a repeat.
	 */
	if (ended)
		report_unban(d, &e->addr, ended);
	if (d->nfresh == d->fresh_cap) {
		n = realloc(d->fresh, (d->fresh_cap * 2 + 16) * sizeof(*n));
		if (!n)
			return;
		d->fresh = n;
		d->fresh_cap = d->fresh_cap * 2 + 16;
	}
	d->fresh[d->nfresh++] = e->addr;
}

/*
 * The XDP program's port-scan bans the detector did not confirm from the
 * sketch in this tick (a new port window hid it, or the source's entry was
 * evicted): reported and escalated all the same, never left unreported.
 */
static void adopt_unconfirmed(struct daemon *d)
{
	struct xg_ban b;
	size_t i;

	for (i = 0; i < d->nfresh; i++)
		if (!bpf_map_lookup_elem(d->bans_fd, &d->fresh[i], &b) &&
		    !b.repeat && xg_ban_live(&b, xg_mono_ns()))
			xg_detector_adopt(d->det, xg_mono_ns(), &d->fresh[i],
					  XG_KIND_PORT_SCAN, is_allowed,
					  on_event, d);
}

static void tick(struct daemon *d)
{
	const struct xg_run_cfg *cfg = d->cfg;
	struct xdpguard_bpf *skel = d->loader.skel;
	struct xg_src_sample *src;
	struct xg_dst_sample *dst = NULL;
	struct xg_src_sketch *sk;
	size_t nsrc = 0, ndst = 0;
	__u64 now, t0 = xg_mono_ns();

	/*
	 * Expired bans first: a source that goes on once its ban ran out is
	 * then reported unbanned, and banned again (escalated) in this tick,
	 * in that order; swept after, the new ban would have replaced the
	 * expired one unreported.
	 */
	d->nfresh = 0;
	xg_ban_sweep(d->bans_fd, xg_mono_ns(), on_unban, on_unconfirmed, d);
	/* And those the operator lifted (`xdpguard unban`). */
	xg_detector_sync_bans(d->det, xg_mono_ns(), is_banned, d);
	if (xg_src_reader_read(&d->reader, bpf_map__fd(skel->maps.src_stats),
			       cfg->load.port_win_shift, true, &nsrc) ||
	    xg_read_dsts(bpf_map__fd(skel->maps.dst_stats), &dst, &ndst))
		goto out;
	src = d->reader.src;
	sk = d->reader.sk;
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
		xg_src_expire(&d->reader, now - d->idle_ns);
	/* Socket counts are a snapshot: judge each one once. */
	d->nconns = 0;
	adopt_unconfirmed(d);
	xg_guard_tick(d->guard, now, src, sk, nsrc);
	xg_self_protect(d->allow_fd, cfg->self_protect, xg_mono_ns());
	xg_obs_polled(d->obs, t0, src, nsrc, ndst);
out:
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
	char names[XG_MAX_IFACES * (IF_NAMESIZE + 48)] = "";
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
		json_object_object_add(x, "took_over",
				       json_object_new_boolean(f->took_over));
		json_object_array_add(ifs, x);
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
			 "%s%s (%s%s)", i ? ", " : "", f->name,
			 xg_mode_name(f->mode),
			 f->took_over ? ", replaced the running program" : "");
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
	struct xg_load_opts lo = cfg->load;
	int lock_fd, sfd = -1, tfd = -1, err, i;
	struct xg_lists lists;
	struct pollfd pfd[3];

	xg_output_init(stdout, cfg->json);
	lock_fd = take_lock();
	if (lock_fd < 0)
		return lock_fd;
	err = xg_obs_open(&d.obs, &cfg->obs, cfg->det.realert_ns,
			  cfg->load.sample_rate);
	if (err)
		goto out_lock;
	/* Blocklist files are read before anything changes. */
	err = xg_guard_new(&cfg->guard, &cfg->det, &d.guard);
	if (err)
		goto out_obs;
	/* A dry run never bans, not even in the kernel. */
	if (!cfg->det.dry_run) {
		lo.scan_trip_bits = xg_scan_trip_bits(cfg->det.scan_ports);
		lo.scan_ban_ttl_ns = cfg->det.ban_ttl_ns;
	}
	err = xg_load(&d.loader, &lo);
	if (err)
		goto out_guard;
	d.bans_fd = bpf_map__fd(d.loader.skel->maps.bans);
	d.allow_fd = bpf_map__fd(d.loader.skel->maps.allow);
	lists = (struct xg_lists){
		.allow = d.allow_fd,
		.bans = d.bans_fd,
		.prefixes = bpf_map__fd(d.loader.skel->maps.ban_prefixes),
		.sources = bpf_map__fd(d.loader.skel->maps.sources),
		.meta = bpf_map__fd(d.loader.skel->maps.meta),
	};
	/* Saved bans and blocklists are in the maps before the first packet. */
	err = xg_guard_start(d.guard, &lists, d.allow_fd, d.loader.reused,
			     cfg->ifaces, cfg->nifs);
	if (err)
		goto out_unload;
	for (i = 0; i < cfg->nifs; i++) {
		err = xg_attach(&d.loader, cfg->ifaces[i], cfg->mode);
		if (err)
			goto out_unload;
	}
	xg_load_done(&d.loader);
	/* Before the first tick, so no detection ever sees them unprotected. */
	err = xg_self_protect(d.allow_fd, cfg->self_protect, xg_mono_ns());
	if (err)
		goto out_unload;
	d.reader.rw = true; /* it frees idle slots */
	d.idle_ns = xg_src_idle_ns(cfg);
	d.det = xg_detector_new(&cfg->det);
	if (!d.det) {
		err = -ENOMEM;
		goto out_unload;
	}
	xg_guard_seed(d.guard, d.det);
	err = make_fds(&sfd, &tfd, cfg->poll_ms);
	if (!err)
		err = xg_obs_start(d.obs, d.loader.skel);
	if (err)
		goto out_det;
	announce(&d);
	/* From here on the pins hold state worth keeping, whatever happens. */
	d.loader.fresh = false;

	pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = tfd, .events = POLLIN };
	/* poll() skips a negative fd: no samples, nothing to wait for. */
	pfd[2] = (struct pollfd){ .fd = xg_obs_fd(d.obs), .events = POLLIN };
	for (;;) {
		struct signalfd_siginfo si;
		__u64 ticks, t0, t1;

		if (poll(pfd, 3, -1) < 0) {
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
				continue;
			}
			if (si.ssi_signo == SIGHUP) {
				xg_obs_reopen(d.obs);
				xg_guard_reload(d.guard);
				continue;
			}
			xg_pollstat_report(&d.ps, cfg->poll_ms);
			xg_output_note(
				"stop", NULL, "%s: %s", strsignal(si.ssi_signo),
				cfg->guard.keep_attached ?
					"leaving the program attached (bans stay enforced; the next run takes over, 'xdpguard detach' removes it)" :
					"detaching");
			break;
		}
		if (pfd[2].revents & POLLIN)
			xg_obs_consume(d.obs);
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
	xg_guard_stop(d.guard);
	if (cfg->guard.keep_attached)
		xg_release_all(&d.loader);
out_det:
	xg_detector_free(d.det);
	xg_src_reader_free(&d.reader);
	free(d.conns);
	free(d.fresh);
out_unload:
	/* Before unload: the metrics server reads the maps. */
	xg_obs_close(d.obs);
	d.obs = NULL;
	/* Maps stay pinned: bans survive until the next run. */
	xg_unload(&d.loader);
	/* Unless this run created them and failed: a failed run changes nothing. */
	if (err && d.loader.fresh)
		xg_unpin_if_unused();
out_guard:
	xg_guard_free(d.guard);
out_obs:
	xg_obs_close(d.obs);
out_lock:
	close(lock_fd);
	return err;
}
