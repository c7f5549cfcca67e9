"""Prints bench/run's table from the JSON files mtedge-load wrote (one per cell).

usage: table.py WORKDIR DURATION PERF_WINDOW [ROUNDS]
"""
import datetime
import json
import os
import platform
import statistics
import sys

work, duration, perf_window = sys.argv[1], sys.argv[2], float(sys.argv[3])
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 1


def cell(name):
    path = os.path.join(work, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def cpu_per_frame_dir(name, c):
    """CPU µs of the watched proxy per frame per direction (a round trip is two frames)."""
    w = c.get("watch")
    return w["cpu_us_per_frame"] / 2 if w and c["frames"] else None


def syscalls_per_rt(name, c):
    """Syscalls of the watched proxy per round trip, from perf stat over PERF_WINDOW seconds."""
    path = os.path.join(work, name + ".perf")
    if not c["frames_per_s"] or not os.path.exists(path):
        return None
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[1] == "raw_syscalls:sys_enter":
                return float(parts[0].replace(",", "")) / (c["frames_per_s"] * perf_window)
    return None


def fps(name, c):
    return c["frames_per_s"]


def mbs(name, c):
    return c["mb_per_s"]


def p99(name, c):
    return c["latency_us"]["p99"]


class Rounds:
    """The rounds of one cell: NAME.json, NAME.r2.json, ... (bench/run's BENCH_ROUNDS)."""

    def __init__(self, name):
        self.cells = []  # (file name, JSON) per round run, in round order
        for r in range(1, rounds + 1):
            file = name if r == 1 else "%s.r%d" % (name, r)
            c = cell(file)
            if c is None:
                break
            self.cells.append((file, c))

    def values(self, metric):
        """The metric per round (None where the cell has no such value)."""
        return [metric(f, c) for f, c in self.cells]

    def median(self, metric):
        v = [x for x in self.values(metric) if x is not None]
        return statistics.median(v) if v else None

    def note_errors(self, label):
        if not self.cells:
            note_errors(label, None)
        for i, (_, c) in enumerate(self.cells):
            note_errors(label if len(self.cells) == 1 else "%s round %d" % (label, i + 1), c)


def round_ratio(a, b, metric):
    """a/b: one round's, or the median of the per-round ratios and their range."""
    ratios = [x / y for x, y in zip(a.values(metric), b.values(metric)) if x and y]
    if not ratios:
        return "-"
    if len(ratios) == 1:
        return "{:.2f}x".format(ratios[0])
    return "{:.2f}x ({:.2f}-{:.2f})".format(statistics.median(ratios), min(ratios), max(ratios))


def size_name(size):
    return "16 KiB" if size == 16384 else "64 B"


def num(v, spec="{:,.0f}"):
    return "-" if v is None else spec.format(v)


def ratio(a, b):
    return "-" if not a or not b else "{:.2f}x".format(a / b)


def handshake_row(label, c):
    """A table row: label, handshakes/s, p50, p99 and the server's CPU per handshake (us)."""
    w = c.get("watch") or {}
    print("| %s | %s | %s | %s | %s |" % (
        label, num(c["handshakes_per_s"], "{:,.1f}"), num(c["latency_us"]["p50"]),
        num(c["latency_us"]["p99"]), num(w.get("cpu_us_per_handshake"))))


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


errors = []
def note_errors(name, c):
    if c is None:
        errors.append("%s: no result" % name)
    elif c["error_count"]:
        errors.append("%s: %s" % (name, c["errors"]))


print("mtedge bench/run  %s  %s, %d CPUs  (%s s per cell, 1 frame in flight per connection)" % (
    datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), cpu_model(), os.cpu_count(), duration))
print()
print("Relay, the same byte stream: an obfuscated2 client (intermediate inside) sends the same frames")
print("through each proxy to an intermediate echo. mtedge (1 worker) de-obfuscates and re-frames;")
print("nginx stream (1 worker, 64 KiB buffers) passes the bytes on and the echo de-obfuscates them,")
print("as the server behind a pass-through proxy must. direct: plain intermediate to the echo.")
print("rt/s = round trips per second; cpu = proxy CPU us per frame per direction (/proc);")
print("sys = proxy syscalls per round trip (perf stat, where available).")
if rounds > 1:
    print("At 64 connections every figure is the median of %d rounds (the proxies alternating within" % rounds)
    print("each round) and a ratio is the median of the per-round ratios, their range in brackets.")
header = ("| size | conns | direct rt/s | nginx rt/s | nginx MB/s | nginx p99 us | nginx cpu | nginx sys "
          "| mtedge rt/s | mtedge MB/s | mtedge p99 us | mtedge cpu | mtedge sys "
          "| mtedge/nginx rt/s | mtedge/nginx cpu |")
print(header)
print("|" + "---|" * (header.count("|") - 1))
for size in (64, 16384):
    for conns in (1, 64, 1000):
        label = "%d B x %d" % (size, conns)
        d = Rounds("direct-%d-%d" % (size, conns))
        n = Rounds("nginx-obf-%d-%d" % (size, conns))
        m = Rounds("mtedge-%d-%d" % (size, conns))
        for t, r in (("direct", d), ("nginx obfuscated", n), ("mtedge", m)):
            r.note_errors("%s %s" % (t, label))
        print("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            size_name(size), conns, num(d.median(fps)),
            num(n.median(fps)), num(n.median(mbs), "{:,.1f}"), num(n.median(p99)),
            num(n.median(cpu_per_frame_dir), "{:.1f}"), num(n.median(syscalls_per_rt), "{:.1f}"),
            num(m.median(fps)), num(m.median(mbs), "{:,.1f}"), num(m.median(p99)),
            num(m.median(cpu_per_frame_dir), "{:.1f}"), num(m.median(syscalls_per_rt), "{:.1f}"),
            round_ratio(m, n, fps), round_ratio(m, n, cpu_per_frame_dir)))

print()
print("Against nginx fed a plain intermediate client (the same frames with no AES anywhere: nginx's")
print("whole path does none of the de-obfuscation that mtedge, or the server behind nginx, does).")
print("mtedge obfuscated2: the cells above; mtedge plain: mtedge with the same plain client.")
header = ("| size | conns | nginx rt/s | nginx MB/s | nginx cpu | mtedge obfuscated2 / nginx rt/s "
          "| cpu | mtedge plain rt/s | mtedge plain cpu | mtedge plain / nginx rt/s | cpu |")
print(header)
print("|" + "---|" * (header.count("|") - 1))
for size in (64, 16384):
    for conns in (1, 64, 1000):
        n = Rounds("nginx-%d-%d" % (size, conns))
        m = Rounds("mtedge-%d-%d" % (size, conns))
        p = Rounds("mtedge-plain-%d-%d" % (size, conns))
        n.note_errors("nginx plain %d B x %d" % (size, conns))
        if p.cells:
            p.note_errors("mtedge plain %d B x %d" % (size, conns))
        print("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            size_name(size), conns, num(n.median(fps)), num(n.median(mbs), "{:,.1f}"),
            num(n.median(cpu_per_frame_dir), "{:.1f}"), round_ratio(m, n, fps),
            round_ratio(m, n, cpu_per_frame_dir), num(p.median(fps)),
            num(p.median(cpu_per_frame_dir), "{:.1f}"), round_ratio(p, n, fps),
            round_ratio(p, n, cpu_per_frame_dir)))

print()
print("Terminate mode: obfuscated2 client -> mtedge (edge decryption, embedded backend, 1 worker).")
quiet = cell("ping-quiet")
floods = [(label, cell("ping-flood-" + name), cell("flood-" + name))
          for label, name in (("flood at the cap (50/s)", "paced"),
                              ("flood as fast as answered", "unpaced"))]

pings = [(s, cell("ping-%d" % s)) for s in (64, 1024)]
hs = cell("handshake")
if all(c is None for _, c in pings) and hs is None:
    print("(not run: --skip-terminate, or mtedge with crypto.edge_decryption = true did not start)")
else:
    print("| what | per second | p50 us | p99 us | mtedge cpu us each |")
    print("|---|---|---|---|---|")
    for size, c in pings:
        note_errors("ping %d B" % size, c)
        if c:
            w = c.get("watch") or {}
            print("| ping %s, 64 conns | %s | %s | %s | %s |" % (
                "1 KiB" if size == 1024 else "64 B", num(c["frames_per_s"]), num(c["latency_us"]["p50"], "{:,.0f}"),
                num(c["latency_us"]["p99"], "{:,.0f}"), num(w.get("cpu_us_per_frame"), "{:.1f}")))
    note_errors("handshake", hs)
    rsa = None
    try:
        with open(os.path.join(work, "rsa_sign_per_s")) as f:
            rsa = float(f.read().strip())
    except (OSError, ValueError):
        pass
    if hs:
        cpu = (hs.get("watch") or {}).get("cpu_us_per_handshake")
        handshake_row("DH handshake, 8 at a time", hs)
        per_core = 1e6 / cpu if cpu else None
        print()
        print("handshakes/s measured %s (client and server share 2 CPUs); mtedge capacity per core "
              "from its CPU per handshake: %s/s; openssl speed rsa2048 private ops: %s/s per core; "
              "ratio capacity/rsa = %s" % (num(hs["handshakes_per_s"], "{:,.0f}"), num(per_core),
                                           num(rsa, "{:,.0f}"), ratio(per_core, rsa)))

hs_w = [(n, cell("handshake-w%d" % n)) for n in (1, 2)]
floor_text = os.path.join(work, "handshake_floor.txt")
if any(c for _, c in hs_w) or os.path.exists(floor_text):
    print()
    print("Handshakes near the crypto floor: whole DH handshakes, 16 connections, mtedge with N "
          "workers and N handshake threads (the load client shares the same CPUs):")
    print("| workers | handshakes/s | p50 us | p99 us | mtedge cpu us each |")
    print("|---|---|---|---|---|")
    for n, c in hs_w:
        note_errors("handshake-w%d" % n, c)
        if c:
            handshake_row(str(n), c)
    if all(c for _, c in hs_w):
        print()
        print("handshakes/s 2 workers / 1 worker: %s (goal >= 1.8x)" % ratio(
            hs_w[1][1]["handshakes_per_s"], hs_w[0][1]["handshakes_per_s"]))
    if os.path.exists(floor_text):
        print()
        with open(floor_text) as f:
            print(f.read(), end="")

if quiet is not None or any(c is not None for _, c, _ in floods):
    print()
    print("Pings under a handshake flood (64 B, 16 established connections at 2000 pings/s, 1 "
          "worker; the flood: whole DH handshakes from one source, 8 connections starting 50 per "
          "second (the server's per-source rate), or 32 connections starting them as fast as "
          "answered (what is over the rate gets -429); its client at nice 19):")
    print("| | pings/s | p50 us | p99 us | handshakes/s done | refused (-429) |")
    print("|---|---|---|---|---|---|")
    for label, c, f in [("no flood", quiet, None)] + floods:
        note_errors("ping " + label, c)
        if c is None:
            continue
        refused = sum((f.get("errors") or {}).values()) if f else None
        print("| %s | %s | %s | %s | %s | %s |" % (
            label, num(c["frames_per_s"]), num(c["latency_us"]["p50"], "{:,.0f}"),
            num(c["latency_us"]["p99"], "{:,.0f}"),
            num(f["handshakes_per_s"], "{:,.1f}") if f else "-", num(refused)))
    print()
    for label, c, _ in floods:
        if quiet and c:
            print("p99 with the %s / without: %s%s" % (
                label, ratio(c["latency_us"]["p99"], quiet["latency_us"]["p99"]),
                " (goal <= 2x)" if "cap" in label else ""))

MESSENGER = (("memory", "memory only (no state_file)"),
             ("group-commit", "state log, group commit"),
             ("fsync-each", "state log, fsync per record"))
messenger = [(label, cell("messenger-" + name)) for name, label in MESSENGER]
if any(c for _, c in messenger):
    print()
    print("Messenger end to end (mtedge-load --mode messenger): 64 pairs of signed-in users, each on")
    print("its own obfuscated2 connection, 1 worker, 64-byte texts, 8 messages in flight per pair;")
    print("the sender's messages.sendMessage to the receiver's updateShortMessage. The per-user flood")
    print("limit is raised to 1,000,000/s so that it does not cap the rate. cpu = mtedge CPU us per")
    print("delivered message; idle = RSS growth per signed-in session, idle, before any message.")
    print("Ratios against the memory-only cell.")
    print("| state | msg/s | p50 us | p99 us | max us | cpu us | idle B/session "
          "| msg/s ratio | p99 ratio | cpu ratio | idle ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")

    def messenger_figures(c):
        w = c.get("watch") or {}
        return (c["frames_per_s"], c["latency_us"]["p99"], w.get("cpu_us_per_frame"),
                w.get("rss_per_session_bytes"))

    base = messenger[0][1]
    for label, c in messenger:
        note_errors("messenger " + label, c)
        if c is None:
            continue
        rate, lat99, cpu, idle = messenger_figures(c)
        ratios = ["-"] * 4
        if base:
            ratios = [ratio(a, b) for a, b in zip(messenger_figures(c), messenger_figures(base))]
        print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            label, num(rate), num(c["latency_us"]["p50"]), num(lat99), num(c["latency_us"]["max"]),
            num(cpu, "{:.1f}"), num(idle), " | ".join(ratios)))

print()
print("Idle memory (RSS growth of the proxy process / connections, after one round trip each):")
print("| proxy | connections | bytes per connection | MiB per 10 000 |")
print("|---|---|---|---|")
for name, label in (("idle-mtedge-relay", "mtedge relay (obfuscated2)"),
                    ("idle-nginx", "nginx stream (worker only)"),
                    ("idle-mtedge-terminate", "mtedge terminate (handshake + ping)")):
    c = cell(name)
    if c is None:
        continue
    note_errors(name, c)
    per = (c.get("watch") or {}).get("rss_per_connection_bytes")
    print("| %s | %s | %s | %s |" % (label, num(c["connections_established"]), num(per),
                                     num(per * 10000 / 1048576 if per else None, "{:.1f}")))

storage_log = os.path.join(work, "storage_log.txt")
if os.path.exists(storage_log):
    print()
    print("Embedded record log (mtedge_storage_log_bench: one producer, at most 4096 records not yet")
    print("durable, fdatasync on the work directory's disk):")
    with open(storage_log) as f:
        print("".join(line for line in f if line.startswith("|")), end="")

print()
print("Targets (the same byte stream, 64 connections; idle memory as above):")
for size, metric, what in ((64, fps, "round trips/s"), (16384, mbs, "MB/s")):
    m, n = Rounds("mtedge-%d-64" % size), Rounds("nginx-obf-%d-64" % size)
    print("  relay %s x 64: mtedge/nginx %s %s (target >= 1.0x)" % (
        size_name(size), what, round_ratio(m, n, metric)))
budget = cell("session_budget")
if budget:
    print("  embedded worst packet / ordinary 1 KiB request: %.2fx CPU per KiB received (target <= 10x; "
          "mtedge_session_bench, %.1fx per packet)" % (budget["worst_per_kib"], budget["worst_per_packet"]))
floor = cell("handshake_floor")
if floor:
    print("  handshake CPU on the critical path / (RSA + modexp): %.2fx (target <= 1.25x); total / "
          "(RSA + 2 modexps): %.2fx (target <= 1.1x; mtedge_handshake_bench)" % (
              floor["critical_ratio"], floor["total_ratio"]))
hs1, hs2 = cell("handshake-w1"), cell("handshake-w2")
if hs1 and hs2:
    print("  handshakes/s, 2 workers / 1 worker: %s (target >= 1.8x)" % ratio(
        hs2["handshakes_per_s"], hs1["handshakes_per_s"]))
for name, label in (("messenger-group-commit", "state log, group commit"),
                    ("messenger-memory", "memory only")):
    c = cell(name)
    if c:
        print("  messenger, %s: %s messages/s delivered end to end (target >= 10,000)" % (
            label, num(c["frames_per_s"])))
for name, label, limit in (("idle-mtedge-relay", "relayed", 3072),
                           ("idle-mtedge-terminate", "terminated", 2048)):
    c = cell(name)
    per = (c.get("watch") or {}).get("rss_per_connection_bytes") if c else None
    print("  idle %s connection: %s B (target <= %d B)" % (label, num(per), limit))

print()
print("errors: " + ("none" if not errors else "; ".join(errors)))
