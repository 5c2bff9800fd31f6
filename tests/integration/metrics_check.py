#!/usr/bin/env python3
"""Scrapes a /metrics endpoint and checks that it parses as Prometheus text
format (stdlib only), then checks expected samples.

usage: metrics_check.py URL [NAME{LABELS}>=VALUE | NAME{LABELS}==VALUE]...

A check's labels are a subset of the sample's. Prints "ok" or what is wrong.
"""
import re
import sys
import urllib.request

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.eE+-]+|\+Inf|NaN)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse(text):
    types, samples = {}, []
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            assert name not in types, "TYPE twice for %s" % name
            types[name] = kind
            continue
        m = SAMPLE.match(line)
        assert m, "line %d does not parse: %r" % (n, line)
        labels, rest = {}, m.group(3) or ""
        while rest:
            lm = LABEL.match(rest)
            assert lm, "bad labels on line %d: %r" % (n, line)
            labels[lm.group(1)] = lm.group(2)
            rest = rest[lm.end():]
        name = m.group(1)
        base = re.sub(r'_(bucket|sum|count)$', "", name)
        assert name in types or base in types, "no TYPE before %s" % name
        samples.append((name, labels, float(m.group(4))))
    return types, samples


def check_histograms(types, samples):
    for base, kind in types.items():
        if kind != "histogram":
            continue
        series = {}
        for name, labels, v in samples:
            if name == base + "_bucket":
                key = tuple(sorted((k, x) for k, x in labels.items() if k != "le"))
                series.setdefault(key, []).append((labels["le"], v))
        for key, bs in series.items():
            vals = [v for _, v in bs]
            assert vals == sorted(vals), "%s buckets not cumulative: %r" % (base, bs)
            assert bs[-1][0] == "+Inf", "%s without +Inf: %r" % (base, bs)
            count = [v for n, l, v in samples if n == base + "_count" and
                     tuple(sorted(l.items())) == key]
            assert count == [bs[-1][1]], "%s count %r != +Inf %r" % (base, count, bs[-1])


def main():
    text = urllib.request.urlopen(sys.argv[1], timeout=30).read().decode()
    try:
        types, samples = parse(text)
        check_histograms(types, samples)
        for want in sys.argv[2:]:
            m = re.match(r'^([a-zA-Z0-9_:]+)(\{(.*)\})?(>=|==)(.+)$', want)
            name, op, value = m.group(1), m.group(4), float(m.group(5))
            labels = dict(LABEL.findall(m.group(3) or "") and
                          [(a, b) for a, b, _ in LABEL.findall(m.group(3))])
            got = [v for n, l, v in samples if n == name and
                   all(l.get(k) == x for k, x in labels.items())]
            assert got, "no sample %s" % want
            ok = all(v >= value for v in got) if op == ">=" else all(v == value for v in got)
            assert ok, "%s: got %r" % (want, got)
    except AssertionError as e:
        print(e)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
