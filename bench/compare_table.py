"""Prints bench/compare-builds' table from the cell JSON files.

usage: compare_table.py WORKDIR ROUNDS A_DIR B_DIR
"""
import json
import os
import statistics
import sys

work, rounds, a_dir, b_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]


def value(name, which, r, get):
    path = os.path.join(work, "%s-%s.r%d.json" % (name, which, r))
    if not os.path.exists(path):
        return None
    with open(path) as f:
        try:
            return get(json.load(f))
        except (KeyError, TypeError):
            return None


def watch(key):
    return lambda c: c["watch"][key]


ROWS = [
    ("idle relayed connection, RSS B", "idle-relay", watch("rss_per_connection_bytes")),
    ("idle terminated connection, RSS B", "idle-term", watch("rss_per_connection_bytes")),
    ("relay 64 B x 64, round trips/s", "relay-64", lambda c: c["frames_per_s"]),
    ("relay 64 B x 64, CPU us/frame", "relay-64", watch("cpu_us_per_frame")),
    ("relay 16 KiB x 64, MB/s", "relay-16384", lambda c: c["mb_per_s"]),
    ("relay 16 KiB x 64, CPU us/frame", "relay-16384", watch("cpu_us_per_frame")),
]


def fmt(x):
    if x is None:
        return "-"
    return "%.0f" % x if abs(x) >= 100 else "%.2f" % x


print("A = %s" % a_dir)
print("B = %s" % b_dir)
print("%d rounds, alternating order; figures are medians over the rounds" % rounds)
print()
print("| figure | A | B | B / A (median of rounds) | range |")
print("|---|---|---|---|---|")
for label, name, get in ROWS:
    av = [value(name, "a", r, get) for r in range(1, rounds + 1)]
    bv = [value(name, "b", r, get) for r in range(1, rounds + 1)]
    ratios = [y / x for x, y in zip(av, bv) if x and y is not None]
    am = statistics.median([x for x in av if x is not None]) if any(x is not None for x in av) else None
    bm = statistics.median([y for y in bv if y is not None]) if any(y is not None for y in bv) else None
    rm = "%.3f" % statistics.median(ratios) if ratios else "-"
    rr = "%.3f-%.3f" % (min(ratios), max(ratios)) if ratios else "-"
    print("| %s | %s | %s | %s | %s |" % (label, fmt(am), fmt(bm), rm, rr))
