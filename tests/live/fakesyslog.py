#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A syslog daemon for one test: receives datagrams on a Unix socket (the
# test mounts it as /dev/log in a private mount namespace) and writes each
# message as one line to a file. Exits after the given number of seconds.
# Usage: fakesyslog.py SOCKET OUTFILE SECONDS
import os
import socket
import sys
import time

sock, out, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock)
os.chmod(sock, 0o666)
end = time.monotonic() + limit
with open(out, 'a') as f:
    while time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            msg = s.recv(65536)
        except socket.timeout:
            break
        f.write(msg.decode(errors='replace').rstrip('\n\0') + '\n')
        f.flush()
