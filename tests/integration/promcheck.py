#!/usr/bin/env python3
"""Checks a Prometheus text exposition (format 0.0.4) read from stdin; used by
tests/integration/metrics.sh. Prints one line per problem and exits 1 if there
is any, else prints "ok <families> <samples>". Checks: HELP and TYPE once per
family, TYPE before the family's samples and one of counter/gauge/histogram/
summary/untyped, every sample belongs to the family declared last, legal metric
and label names, well-formed and escaped label values, no duplicate series,
counters named *_total and never negative, histogram buckets with le ascending
and ending at +Inf, counts cumulative, +Inf equal to _count, _sum present."""
import math
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*$")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse_labels(s, problems, where):
    """Parses 'a="x",b="y"' (escapes \\\\, \\", \\n); returns a dict."""
    labels, i = {}, 0
    while i < len(s):
        m = re.match(r'([^=]*)="', s[i:])
        if not m:
            problems.append(f"{where}: bad label syntax in {{{s}}}")
            return labels
        name = m.group(1)
        if not LABEL.match(name) or name.startswith("__"):
            problems.append(f"{where}: illegal label name {name!r}")
        i += m.end()
        value = []
        while i < len(s) and s[i] != '"':
            if s[i] == "\\":
                if i + 1 >= len(s) or s[i + 1] not in '\\"n':
                    problems.append(f"{where}: bad escape in label value")
                    return labels
                value.append({"\\": "\\", '"': '"', "n": "\n"}[s[i + 1]])
                i += 2
            else:
                value.append(s[i])
                i += 1
        if i >= len(s):
            problems.append(f"{where}: unterminated label value")
            return labels
        if name in labels:
            problems.append(f"{where}: label {name} twice")
        labels[name] = "".join(value)
        i += 1
        if i < len(s):
            if s[i] != ",":
                problems.append(f"{where}: expected ',' between labels")
                return labels
            i += 1
    return labels


def parse_value(v):
    if v in ("+Inf", "-Inf", "NaN"):
        return float(v.replace("Inf", "inf").replace("NaN", "nan"))
    return float(v)


def check(text):
    problems, families, samples = [], {}, []
    current = None
    if text and not text.endswith("\n"):
        problems.append("the text does not end with a newline")
    for n, line in enumerate(text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"), 1):
        where = f"line {n}"
        if not line.strip():
            continue
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            kind, rest = line[2:6], line[7:]
            name, _, arg = rest.partition(" ")
            if not NAME.match(name):
                problems.append(f"{where}: illegal metric name {name!r}")
            fam = families.setdefault(name, {"help": 0, "type": None, "samples": 0})
            if kind == "HELP":
                fam["help"] += 1
                if fam["help"] > 1:
                    problems.append(f"{where}: second HELP for {name}")
            else:
                if fam["type"] is not None:
                    problems.append(f"{where}: second TYPE for {name}")
                if arg not in TYPES:
                    problems.append(f"{where}: bad TYPE {arg!r}")
                if fam["samples"]:
                    problems.append(f"{where}: TYPE of {name} after its samples")
                fam["type"] = arg
            if current != name and fam["samples"]:
                problems.append(f"{where}: {name} declared again after other families")
            current = name
            continue
        if line.startswith("#"):
            continue
        m = re.match(r"([^{ ]+)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$", line)
        if not m:
            problems.append(f"{where}: not a sample line: {line!r}")
            continue
        name, labels_s, value_s = m.group(1), m.group(2) or "", m.group(3)
        if not NAME.match(name):
            problems.append(f"{where}: illegal metric name {name!r}")
        labels = parse_labels(labels_s, problems, where)
        try:
            value = parse_value(value_s)
        except ValueError:
            problems.append(f"{where}: bad value {value_s!r}")
            continue
        fam = families.get(current) if current else None
        suffix = name[len(current):] if current and name.startswith(current) else None
        ok_suffixes = {"histogram": ("_bucket", "_sum", "_count"),
                       "summary": ("", "_sum", "_count")}.get(fam["type"] if fam else None, ("",))
        if fam is None or suffix not in ok_suffixes:
            problems.append(f"{where}: sample {name} outside its family (last declared: {current})")
            continue
        if fam["type"] is None:
            problems.append(f"{where}: sample of {current} before its TYPE")
        fam["samples"] += 1
        samples.append((current, fam["type"], name, suffix, labels, value, where))
    seen = set()
    for fam, typ, name, suffix, labels, value, where in samples:
        key = (name, tuple(sorted(labels.items())))
        if key in seen:
            problems.append(f"{where}: duplicate series {name}{labels}")
        seen.add(key)
        if typ == "counter":
            if not fam.endswith("_total"):
                problems.append(f"{where}: counter {fam} not named *_total")
            if value < 0 or math.isnan(value):
                problems.append(f"{where}: counter {name} is {value}")
    for name, fam in families.items():
        if fam["type"] is None or fam["help"] != 1:
            problems.append(f"family {name}: needs one HELP and one TYPE")
        if fam["type"] == "histogram":
            check_histogram(name, [s for s in samples if s[0] == name], problems)
    return problems, len(families), len(samples)


def check_histogram(name, samples, problems):
    groups = {}
    for _, _, _, suffix, labels, value, where in samples:
        rest = tuple(sorted((k, v) for k, v in labels.items() if not (suffix == "_bucket" and k == "le")))
        g = groups.setdefault(rest, {"buckets": [], "sum": None, "count": None})
        if suffix == "_bucket":
            if "le" not in labels:
                problems.append(f"{where}: {name}_bucket without le")
                continue
            g["buckets"].append((parse_value(labels["le"]), value, where))
        elif suffix == "_sum":
            g["sum"] = value
        else:
            g["count"] = value
    for rest, g in groups.items():
        b = g["buckets"]
        if not b or b[-1][0] != math.inf:
            problems.append(f"{name}{dict(rest)}: buckets must end with le=\"+Inf\"")
            continue
        for (le0, c0, _), (le1, c1, where) in zip(b, b[1:]):
            if not le1 > le0:
                problems.append(f"{where}: {name} le not ascending ({le0} then {le1})")
            if c1 < c0:
                problems.append(f"{where}: {name} bucket counts not cumulative ({c0} then {c1})")
        if g["count"] is None or g["sum"] is None:
            problems.append(f"{name}{dict(rest)}: _sum and _count needed")
        elif g["count"] != b[-1][1]:
            problems.append(f"{name}{dict(rest)}: +Inf bucket {b[-1][1]} != _count {g['count']}")


def main():
    problems, n_fam, n_samples = check(sys.stdin.read())
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print(f"ok {n_fam} {n_samples}")


if __name__ == "__main__":
    main()
