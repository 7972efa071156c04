#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Judges one replayed capture: the daemon's JSON event log against its entry
in EXPECTED.json. Used by replay.sh, which owns the TAP numbering, so this
prints one line per check: "PASS<TAB>name", "FAIL<TAB>name" or "DIAG<TAB>text".

  verdict.py list EXPECTED.json
      one line per capture: "name<TAB>tier"
  verdict.py check EXPECTED.json NAME EVENTS.log STATS.json FRAMES T0
      FRAMES: frames in the capture; T0: wall-clock second the replay began
"""
import datetime
import json
import sys

# EXPECTED.json's attack names -> (event kind, port_scan proto or None).
KINDS = {
    "syn_scan": ("port_scan", "tcp"),
    "udp_scan": ("port_scan", "udp"),
    "syn_flood": ("syn_flood", None),
    "too_many_connections": ("conn_flood", None),
}
# Events that accuse their "src".
ACCUSE = ("alert", "ban", "suppressed")


def kind_of(expected):
    # "too_many_connections (417 concurrent, ...)": the name is the first word.
    return KINDS.get(expected.split()[0] if expected else "")


def load_events(path):
    events = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                events.append(json.loads(line))
            except ValueError:
                print("DIAG\tnot JSON: %s" % line[:200])
    return events


def wall(ts):
    # "2026-11-28T18:43:24.910Z"
    t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ")
    return t.replace(tzinfo=datetime.timezone.utc).timestamp()


def describe(e):
    s = "%s %s" % (e.get("event"), e.get("kind"))
    for k in ("src", "dst", "proto", "value", "threshold"):
        if k in e:
            s += " %s=%s" % (k, e[k])
    return s


def check(expected, name, log, stats_path, frames, t0):
    exp = expected[name]
    events = load_events(log)
    starts = [e for e in events if e.get("event") == "start"]
    dry = bool(starts and starts[0].get("dry_run"))
    acc = [e for e in events if e.get("event") in ACCUSE]
    out = []

    def res(cond, what):
        out.append(("PASS" if cond else "FAIL", "%s: %s" % (name, what)))

    # The harness itself: without this a benign capture that never reached
    # the program would pass every "no alert" check.
    seen, drops = None, {}
    try:
        with open(stats_path) as f:
            stats = json.load(f)
        seen, drops = stats.get("total_pkts"), stats.get("drop", {})
    except (OSError, ValueError, AttributeError):
        pass
    res(starts != [], "the daemon started")
    res(seen is not None and seen >= frames * 0.99,
        "the program saw the replayed frames (%s of %d)" % (seen, frames))

    for addr, want in sorted(exp.get("flag", {}).items()):
        k = kind_of(want)
        if not k:
            res(False, "%s: unknown expected kind '%s'" % (addr, want))
            continue
        kind, proto = k
        label = kind + ("/" + proto if proto else "")
        mine = [e for e in acc if e.get("src") == addr]
        right = [e for e in mine if e.get("kind") == kind and
                 (proto is None or e.get("proto") == proto)]
        wrong = [describe(e) for e in mine if e not in right]
        alerts = [e for e in right if e["event"] == "alert"]
        res(alerts != [] and not wrong,
            "%s flagged as %s%s" % (addr, label,
                                    " (also: %s)" % "; ".join(wrong)
                                    if wrong else ""))
        if not dry:
            res(any(e["event"] == "ban" for e in right),
                "%s banned for %s" % (addr, kind))
        if alerts and t0:
            out.append(("DIAG", "%s: first %s alert on %s %.1f s into the "
                        "replay" % (name, label, addr,
                                    wall(alerts[0]["ts"]) - t0)))

    victim = exp.get("victim")
    if victim:
        bad = [describe(e) for e in acc if e.get("src") == victim]
        res(not bad, "victim %s never banned nor flagged as a source%s" %
            (victim, " (got: %s)" % "; ".join(bad) if bad else ""))
        on = [e for e in acc if e.get("dst") == victim]
        if on:
            out.append(("DIAG", "%s: alarm naming victim %s: %s" %
                        (name, victim, describe(on[0]))))

    for addr in exp.get("must_not_flag", []):
        if addr == "*any*":
            bad = [describe(e) for e in acc]
            res(not bad, "no alert at all%s" %
                (" (got: %s)" % "; ".join(bad) if bad else ""))
        elif addr != victim:
            bad = [describe(e) for e in acc if e.get("src") == addr]
            res(not bad, "%s never flagged%s" %
                (addr, " (got: %s)" % "; ".join(bad) if bad else ""))
    # What happened, for the record: each (event, kind, address) once.
    seen_ev, summary = set(), []
    for e in acc:
        key = (e.get("event"), e.get("kind"), e.get("src"), e.get("dst"))
        if key not in seen_ev:
            seen_ev.add(key)
            summary.append(describe(e))
    out.append(("DIAG", "%s: events: %s" %
                (name, "; ".join(summary) if summary else "none")))
    if drops:
        out.append(("DIAG", "%s: frames dropped by bans: %s" % (name, ", ".join(
            "%s %s" % (r, v.get("pkts")) for r, v in sorted(drops.items())))))
    for st, text in out:
        print("%s\t%s" % (st, text))


def main(argv):
    if len(argv) >= 3 and argv[1] == "list":
        with open(argv[2]) as f:
            expected = json.load(f)
        for name, v in expected.items():
            if not name.startswith("_"):
                print("%s\t%s" % (name, v.get("tier", "core")))
        return 0
    if len(argv) == 8 and argv[1] == "check":
        with open(argv[2]) as f:
            expected = json.load(f)
        check(expected, argv[3], argv[4], argv[5], int(argv[6]),
              float(argv[7]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
