#!/usr/bin/env python3
"""Server-side latency of unipayd's requests, from its access log (stderr; text or
--log-json lines): count, p50, p99, p99.9 and max of `latency_us` per kind of request,
then per second the creates' and callbacks' count and p99, then the slowest requests.
The bench measures latency as a client sees it; this says how much of it the server spent
(docs/BENCHMARKS.md, "Where a half-rate create's time goes").

usage: access-log-latency.py UNIPAYD_LOG [--from HH:MM:SS] [--to HH:MM:SS] [--slowest N] [--json]
"""
import argparse
import collections
import json
import re
import sys

# The access line (net/call.cpp): time, level, then request_id, method, path (quoted),
# status, latency_us. In --log-json mode the same message sits in "msg" with its quotes
# escaped; the time field then comes first.
LINE_RE = re.compile(r'(\d{4}-\d\d-\d\dT(\d\d:\d\d:\d\d)\.(\d{3})Z).*?request_id=\S+ method=(\w+) '
                     r'path=\\?"(.*?)\\?" status=(\d+) latency_us=(\d+)')
KINDS = ("create", "callback", "poll", "read", "other")


def kind_of(method, path):
    if method == "POST" and path == "/v1/bills":
        return "create"
    if method == "POST" and path.startswith("/v1/callbacks/"):
        return "callback"
    if method == "GET" and path.startswith("/v1/bills/") and "/result" in path:
        return "poll"  # a long poll: its latency includes the wait for the bill
    if method == "GET" and path.startswith("/v1/bills/"):
        return "read"
    return "other"


def quantile(sorted_values, q):
    if not sorted_values:
        return 0
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def read_requests(lines, time_from=None, time_to=None):
    """(second, millisecond, kind, status, latency_us) of each access line in the window."""
    for line in lines:
        m = LINE_RE.search(line)
        if not m:
            continue
        _, second, ms, method, path, status, latency_us = m.groups()
        if (time_from and second < time_from) or (time_to and second > time_to):
            continue
        yield second, int(ms), kind_of(method, path), int(status), int(latency_us)


def summarise(requests, slowest=25):
    by_kind = collections.defaultdict(list)
    per_second = collections.defaultdict(lambda: collections.defaultdict(list))
    timed = []
    for second, ms, kind, status, latency_us in requests:
        by_kind[kind].append(latency_us)
        per_second[second][kind].append(latency_us)
        if kind in ("create", "callback"):
            timed.append((latency_us, "%s.%03d" % (second, ms), kind, status))
    kinds = {}
    for kind in KINDS:
        values = sorted(by_kind.get(kind, []))
        if values:
            kinds[kind] = {"count": len(values), "p50_us": quantile(values, 0.5), "p99_us": quantile(values, 0.99),
                           "p999_us": quantile(values, 0.999), "max_us": values[-1]}
    seconds = []
    for second in sorted(per_second):
        row = {"second": second}
        for kind in ("create", "callback"):
            values = sorted(per_second[second].get(kind, []))
            row[kind + "_count"] = len(values)
            row[kind + "_p99_us"] = quantile(values, 0.99)
        seconds.append(row)
    timed.sort(reverse=True)
    return {"kinds": kinds, "seconds": seconds,
            "slowest": [{"latency_us": t[0], "at": t[1], "kind": t[2], "status": t[3]} for t in timed[:slowest]]}


def print_text(summary, out):
    out.write("%-9s %8s %8s %8s %8s %8s  (µs, server side)\n" % ("kind", "count", "p50", "p99", "p99.9", "max"))
    for kind, k in summary["kinds"].items():
        out.write("%-9s %8d %8d %8d %8d %8d\n" % (kind, k["count"], k["p50_us"], k["p99_us"], k["p999_us"], k["max_us"]))
    out.write("\n%-9s %8s %10s %9s %10s\n" % ("second", "creates", "p99_us", "callbacks", "p99_us"))
    for row in summary["seconds"]:
        out.write("%-9s %8d %10d %9d %10d\n" % (row["second"], row["create_count"], row["create_p99_us"],
                                               row["callback_count"], row["callback_p99_us"]))
    out.write("\nslowest creates and callbacks\n")
    for s in summary["slowest"]:
        out.write("%10d µs  %s  %-8s %d\n" % (s["latency_us"], s["at"], s["kind"], s["status"]))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log")
    parser.add_argument("--from", dest="time_from", help="first second (HH:MM:SS, UTC as logged)")
    parser.add_argument("--to", dest="time_to", help="last second (HH:MM:SS)")
    parser.add_argument("--slowest", type=int, default=25)
    parser.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    args = parser.parse_args(argv)
    with open(args.log, encoding="utf-8", errors="replace") as f:
        summary = summarise(read_requests(f, args.time_from, args.time_to), args.slowest)
    if args.json:
        json.dump(summary, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print_text(summary, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
