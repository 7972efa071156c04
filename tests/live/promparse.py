#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A strict reader of the Prometheus text format for the live tests: parses
# every line (failing on the first it cannot), then prints the value of each
# series named on the command line ("name" or 'name{a="b",c="d"}', labels in
# any order), or "missing".  Usage: promparse.py FILE [SERIES ...]
import re
import sys

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"'
SAMPLE = re.compile(r'^(%s)(?:\{(%s(?:,%s)*)?\})? (\S+)(?: (-?\d+))?$' %
                    (NAME, LABEL, LABEL))


def key(name, labels):
    return name + '{' + ','.join('%s="%s"' % kv for kv in sorted(labels)) + '}'


def parse(text):
    series, types = {}, {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line or line.startswith('# HELP '):
            continue
        if line.startswith('# TYPE '):
            _, _, name, typ = line.split(' ', 3)
            if name in types:
                sys.exit('line %d: second TYPE for %s' % (n, name))
            types[name] = typ
            continue
        if line.startswith('#'):
            continue
        m = SAMPLE.match(line)
        if not m:
            sys.exit('line %d: not a sample: %r' % (n, line))
        labels = re.findall(LABEL, m.group(2) or '')
        value = line.rsplit(' ', 1)[1]
        try:
            float(value)
        except ValueError:
            sys.exit('line %d: bad value %r' % (n, value))
        k = key(m.group(1), labels)
        if k in series:
            sys.exit('line %d: duplicate series %s' % (n, k))
        series[k] = float(value)
    return series, types


def main():
    series, types = parse(open(sys.argv[1]).read())
    for q in sys.argv[2:]:
        m = re.match(r'^(%s)(?:\{(.*)\})?$' % NAME, q)
        k = key(m.group(1), re.findall(LABEL, m.group(2) or ''))
        v = series.get(k)
        print('missing' if v is None else ('%d' % v if v == int(v) else v))
    if len(sys.argv) == 2:
        print(len(series))


main()
