#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Traffic and measurements for the detection live tests.

  serve ADDR PORT  an HTTP/1.1 server (keep-alive, a thread per connection,
      a listen backlog of 1024 so that a connect burst meets the detector
      rather than a full accept queue) answering every GET with a small page.
  browse HOST PORT SECONDS PARALLEL NEW  a browser: PARALLEL keep-alive
      connections opened at once, each fetching a page every 0.5 s, plus NEW
      short connections spread over SECONDS; prints a JSON summary.
  burst HOST PORT SECONDS  short TCP connects (connect, close) as fast as
      they go, for at most SECONDS; prints how many succeeded.
  hold HOST PORT N RATE SECONDS  opens N TCP connections, RATE a second,
      and keeps them open (idle) for SECONDS; prints how many it held.
  ttb PIN_DIR ADDR  time to ban of ADDR from the kernel's own clocks (see
      time_to_ban); prints JSON.

Everything is bounded in time: every socket has a timeout and every loop a
deadline.
"""
import http.client
import http.server
import ipaddress
import json
import socket
import subprocess
import sys
import threading
import time


class Page(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = b"<html><body>" + b"xdpguard " * 200 + b"</body></html>\n"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 1024
    daemon_threads = True


def serve(addr, port):
    Server((addr, port), Page).serve_forever()


def browse(host, port, seconds, parallel, new):
    lock = threading.Lock()
    res = {"ok": 0, "failed": 0, "conns": 0, "errors": []}
    end = time.monotonic() + seconds

    def note(ok, err=None):
        with lock:
            res["ok" if ok else "failed"] += 1
            if err and len(res["errors"]) < 5:
                res["errors"].append(err)

    def get(conn):
        conn.request("GET", "/")
        r = conn.getresponse()
        r.read()
        return r.status == 200

    def keepalive():
        # One connection for the whole visit, as a browser keeps its own.
        conn = http.client.HTTPConnection(host, port, timeout=10)
        with lock:
            res["conns"] += 1
        try:
            while time.monotonic() < end:
                note(get(conn))
                time.sleep(0.5)
        except OSError as e:
            note(False, "keep-alive: %s" % e)
        finally:
            conn.close()

    def short(delay):
        time.sleep(delay)
        conn = http.client.HTTPConnection(host, port, timeout=10)
        with lock:
            res["conns"] += 1
        try:
            note(get(conn))
        except OSError as e:
            note(False, "short: %s" % e)
        finally:
            conn.close()

    threads = [threading.Thread(target=keepalive) for _ in range(parallel)]
    threads += [
        threading.Thread(target=short, args=(seconds * (i + 0.5) / new,))
        for i in range(new)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 30)
    print(json.dumps(res))


def burst(host, port, seconds):
    end = time.monotonic() + seconds
    ok = fail = 0
    while time.monotonic() < end:
        s = socket.socket()
        s.settimeout(0.5)
        try:
            s.connect((host, port))
            ok += 1
        except OSError:
            fail += 1
        finally:
            s.close()
    print(json.dumps({"connected": ok, "failed": fail}))


def hold(host, port, n, rate, seconds):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.settimeout(2)
        try:
            s.connect((host, port))
            socks.append(s)
        except OSError:
            s.close()
        time.sleep(1.0 / rate)
    print(json.dumps({"held": len(socks)}), flush=True)
    time.sleep(seconds)
    for s in socks:
        s.close()


def bpftool_dump(path):
    out = subprocess.check_output(["bpftool", "-j", "map", "dump", "pinned", path])
    return json.loads(out)


def addr_str(a):
    """As xdpguard prints it: IPv4-mapped addresses as plain IPv4."""
    v6 = ipaddress.IPv6Address(bytes(a))
    return str(v6.ipv4_mapped or v6)


M64 = (1 << 64) - 1


def mix64(x):
    """include/xdpguard.h's xg_mix64()."""
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def src_slot(pin_dir, addr):
    """addr's slot in the source table: its bucket (xg_src_bucket() with the
    seed the loader recorded in meta, over max_entries buckets), looked up
    alone."""
    meta = bpftool_dump(pin_dir + "/meta")[0]["formatted"]["value"]
    tab = json.loads(subprocess.check_output(
        ["bpftool", "-j", "map", "show", "pinned", pin_dir + "/src_stats"]))
    key = ipaddress.ip_address(addr)
    if key.version == 4:
        key = ipaddress.IPv6Address(b"\0" * 10 + b"\xff\xff" + key.packed)
    raw = key.packed
    a0 = int.from_bytes(raw[:8], "little")
    a1 = int.from_bytes(raw[8:], "little")
    b = mix64(mix64(a0 ^ meta["src_seed"]) ^ a1) & (tab["max_entries"] - 1)
    out = subprocess.check_output(
        ["bpftool", "-j", "map", "lookup", "pinned", pin_dir + "/src_stats",
         "key"] + [str(x) for x in b.to_bytes(4, "little")])
    for w in json.loads(out)["formatted"]["value"]["w"]:
        k = w["key"][0].to_bytes(8, "little") + w["key"][1].to_bytes(8, "little")
        if w["s"]["first_ns"] and k == raw:
            return w["s"]
    return None


def time_to_ban(pin_dir, addr):
    """From the attacker's first packet to its ban, both CLOCK_MONOTONIC.

    first_ns: when the XDP program saw the source's first packet (its
    src_stats entry, created by that packet). created_ns: when the ban went
    into the kernel's ban table; from then on every packet of the source is
    dropped, so the first drop is its next packet, one inter-packet gap
    later (gap_s, from the packets it got through and their span). ttb_s:
    to the first drop, ban_s + gap_s; ban_s: to the ban. pkts:
    what got through before the ban, as dropped packets are not counted.
    """
    src = None
    slot = src_slot(pin_dir, addr)
    if slot:
        src = {"first": slot["first_ns"], "last": slot["last_ns"],
               "pkts": slot["pkts"]}
    ban = None
    for e in bpftool_dump(pin_dir + "/bans"):
        f = e["formatted"]
        if addr_str(f["key"]["a"]) == addr:
            ban = f["value"]
    if not src or not ban:
        return {"error": "no %s for %s" % ("source" if not src else "ban", addr)}
    span = src["last"] - src["first"]
    gap = span / (src["pkts"] - 1) if src["pkts"] > 1 else 0
    ttb = ban["created_ns"] - src["first"]
    return {
        "ttb_s": round((ttb + gap) / 1e9, 4),
        "ban_s": round(ttb / 1e9, 4),
        "pkts": src["pkts"],
        "gap_s": round(gap / 1e9, 6),
        "reason": ban["reason"],
    }


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "serve" and len(argv) == 4:
        serve(argv[2], int(argv[3]))
    elif cmd == "browse" and len(argv) == 7:
        browse(argv[2], int(argv[3]), float(argv[4]), int(argv[5]), int(argv[6]))
    elif cmd == "burst" and len(argv) == 5:
        burst(argv[2], int(argv[3]), float(argv[4]))
    elif cmd == "hold" and len(argv) == 7:
        hold(argv[2], int(argv[3]), int(argv[4]), float(argv[5]), float(argv[6]))
    elif cmd == "ttb" and len(argv) == 4:
        print(json.dumps(time_to_ban(argv[2], argv[3])))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
