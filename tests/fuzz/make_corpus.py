#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Writes the fuzzer's seed corpus (tests/fuzz/corpus/): one frame per file,
# covering IPv4/IPv6, TCP/UDP/ICMP, VLAN/QinQ, options, extension headers,
# fragments and non-IP, from sources the harness bans, allowlists or ignores.
# The files are committed; rerun this only to change the seeds.
import ipaddress
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
MACS = bytes.fromhex("020000000002") + bytes.fromhex("020000000001")


def eth(proto, tags=()):
    # dst, src, (TPID, TCI) per tag, then the type
    h = MACS
    for tpid in tags:
        h += struct.pack("!HH", tpid, 42)
    return h + struct.pack("!H", proto)


def v4(src, dst, proto, payload, ihl=5, frag=0):
    opts = b"\x01" * (ihl * 4 - 20)
    tot = ihl * 4 + len(payload)
    return (struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tot, 0x1234, frag, 64,
                        proto, 0, ipaddress.ip_address(src).packed,
                        ipaddress.ip_address(dst).packed) + opts + payload)


def v6(src, dst, nxt, payload):
    return (struct.pack("!IHBB", 6 << 28, len(payload), nxt, 64) +
            ipaddress.ip_address(src).packed +
            ipaddress.ip_address(dst).packed + payload)


def tcp(sport, dport, flags):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, flags,
                       65535, 0, 0)


def udp(sport, dport, data=b"hello"):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def icmp(typ, data=b"ping"):
    return struct.pack("!BBHHH", typ, 0, 0, 1, 1) + data


SYN, ACK = 0x02, 0x10
frames = {
    "v4-tcp-syn-banned": eth(0x0800) + v4("10.66.0.1", "10.0.0.2", 6,
                                          tcp(40000, 22, SYN)),
    "v4-tcp-synack": eth(0x0800) + v4("10.0.0.7", "10.0.0.2", 6,
                                      tcp(443, 40000, SYN | ACK)),
    "v4-udp": eth(0x0800) + v4("10.0.0.5", "10.0.0.2", 17, udp(5353, 53)),
    "v4-icmp-echo-permanent-ban": eth(0x0800) + v4("10.66.0.2", "10.0.0.2", 1,
                                                   icmp(8)),
    "v4-ihl6-bad-reason": eth(0x0800) + v4("10.66.0.4", "10.0.0.2", 17,
                                           udp(1, 2), ihl=6),
    "v4-fragment-expired-ban": eth(0x0800) + v4("10.66.0.3", "10.0.0.2", 6,
                                                b"\0" * 16, frag=0x0010),
    "v4-vlan-udp-allowed": eth(0x0800, (0x8100,)) +
    v4("10.66.1.7", "10.0.0.2", 17, udp(123, 123)),
    "v6-tcp-syn-banned": eth(0x86dd) + v6("2001:db8::66", "2001:db8::2", 6,
                                          tcp(40001, 80, SYN)),
    "v6-udp-allowed": eth(0x86dd) + v6("2001:db8:aa::1", "2001:db8::2", 17,
                                       udp(53, 40000)),
    "v6-hop-frag-icmp": eth(0x86dd) + v6(
        "2001:db8::5", "2001:db8::2", 0,
        struct.pack("!BB6x", 44, 0) + struct.pack("!BBHI", 58, 0, 0, 7) +
        icmp(128)),
    "v6-qinq-tcp-expired": eth(0x86dd, (0x88a8, 0x8100)) +
    v6("fe80::1", "fe80::2", 6, tcp(1, 2, SYN)),
    "v6-mapped-v4-banned": eth(0x86dd) + v6("::ffff:10.66.0.9", "::1", 58,
                                            icmp(128)),
    "arp": eth(0x0806) + bytes(28),
}

os.makedirs(OUT, exist_ok=True)
for name, frame in frames.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(frame)
