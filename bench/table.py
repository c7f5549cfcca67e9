"""Prints bench/run's table from the JSON files mtedge-load wrote (one per cell).

usage: table.py WORKDIR DURATION PERF_WINDOW
"""
import datetime
import json
import os
import platform
import sys

work, duration, perf_window = sys.argv[1], sys.argv[2], float(sys.argv[3])


def cell(name):
    path = os.path.join(work, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def cpu_per_frame_dir(c):
    """CPU µs of the watched proxy per frame per direction (a round trip is two frames)."""
    w = c.get("watch") if c else None
    return w["cpu_us_per_frame"] / 2 if w and c["frames"] else None


def syscalls_per_rt(name, c):
    """Syscalls of the watched proxy per round trip, from perf stat over PERF_WINDOW seconds."""
    path = os.path.join(work, name + ".perf")
    if not c or not c["frames_per_s"] or not os.path.exists(path):
        return None
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[1] == "raw_syscalls:sys_enter":
                return float(parts[0].replace(",", "")) / (c["frames_per_s"] * perf_window)
    return None


def fps(c):
    return c["frames_per_s"] if c else None


def mbs(c):
    return c["mb_per_s"] if c else None


def p99(c):
    return c["latency_us"]["p99"] if c else None


def num(v, spec="{:,.0f}"):
    return "-" if v is None else spec.format(v)


def ratio(a, b):
    return "-" if not a or not b else "{:.2f}x".format(a / b)


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
print("Relay: client -> proxy -> intermediate echo. mtedge: obfuscated2 client, 1 worker;")
print("nginx stream (1 worker, 64 KiB buffers) and direct: plain intermediate, same frames.")
print("rt/s = round trips per second; cpu = proxy CPU us per frame per direction (/proc);")
print("sys = proxy syscalls per round trip (perf stat, where available).")
header = ("| size | conns | direct rt/s | nginx rt/s | nginx MB/s | nginx p99 us | nginx cpu | nginx sys "
          "| mtedge rt/s | mtedge MB/s | mtedge p99 us | mtedge cpu | mtedge sys "
          "| mtedge/nginx rt/s | mtedge/nginx cpu |")
print(header)
print("|" + "---|" * (header.count("|") - 1))
for size in (64, 16384):
    for conns in (1, 64, 1000):
        d, n, m = (cell("%s-%d-%d" % (t, size, conns)) for t in ("direct", "nginx", "mtedge"))
        for t, c in (("direct", d), ("nginx", n), ("mtedge", m)):
            note_errors("%s %d B x %d" % (t, size, conns), c)
        sys_n = syscalls_per_rt("nginx-%d-%d" % (size, conns), n)
        sys_m = syscalls_per_rt("mtedge-%d-%d" % (size, conns), m)
        print("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            "16 KiB" if size == 16384 else "64 B", conns, num(fps(d)),
            num(fps(n)), num(mbs(n), "{:,.1f}"), num(p99(n), "{:,.0f}"), num(cpu_per_frame_dir(n), "{:.1f}"),
            num(sys_n, "{:.1f}"),
            num(fps(m)), num(mbs(m), "{:,.1f}"), num(p99(m), "{:,.0f}"), num(cpu_per_frame_dir(m), "{:.1f}"),
            num(sys_m, "{:.1f}"),
            ratio(fps(m), fps(n)), ratio(cpu_per_frame_dir(m), cpu_per_frame_dir(n))))

for size in (64, 16384):
    c = cell("mtedge-plain-%d-64" % size)
    n = cell("nginx-%d-64" % size)
    if c:
        note_errors("mtedge plain %d B x 64" % size, c)
        print("mtedge with a plain intermediate client (as nginx gets), %s x 64: %s rt/s, cpu %s us "
              "per frame per direction, %s syscalls per round trip; mtedge/nginx rt/s %s, cpu %s" % (
                  "16 KiB" if size == 16384 else "64 B", num(c["frames_per_s"]),
                  num(cpu_per_frame_dir(c), "{:.1f}"),
                  num(syscalls_per_rt("mtedge-plain-%d-64" % size, c), "{:.1f}"),
                  ratio(c["frames_per_s"], n and n["frames_per_s"]),
                  ratio(cpu_per_frame_dir(c), cpu_per_frame_dir(n))))

print()
print("The same obfuscated2 stream through nginx: the client speaks obfuscated2 to both proxies;")
print("behind nginx the echo de-obfuscates it (as the server behind a pass-through proxy must),")
print("behind mtedge mtedge does and the echo gets plain intermediate.")
header = ("| size | conns | nginx rt/s | nginx MB/s | nginx cpu | mtedge rt/s | mtedge MB/s | mtedge cpu "
          "| mtedge/nginx rt/s | mtedge/nginx cpu |")
print(header)
print("|" + "---|" * (header.count("|") - 1))
for size in (64, 16384):
    for conns in (1, 64, 1000):
        n, m = cell("nginx-obf-%d-%d" % (size, conns)), cell("mtedge-%d-%d" % (size, conns))
        if n is None:
            continue
        note_errors("nginx obfuscated %d B x %d" % (size, conns), n)
        print("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            "16 KiB" if size == 16384 else "64 B", conns, num(fps(n)), num(mbs(n), "{:,.1f}"),
            num(cpu_per_frame_dir(n), "{:.1f}"), num(fps(m)), num(mbs(m), "{:,.1f}"),
            num(cpu_per_frame_dir(m), "{:.1f}"), ratio(fps(m), fps(n)),
            ratio(cpu_per_frame_dir(m), cpu_per_frame_dir(n))))

print()
print("Terminate mode: obfuscated2 client -> mtedge (edge decryption, embedded backend, 1 worker).")
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
        w = hs.get("watch") or {}
        cpu = w.get("cpu_us_per_handshake")
        print("| DH handshake, 8 at a time | %s | %s | %s | %s |" % (
            num(hs["handshakes_per_s"], "{:,.1f}"), num(hs["latency_us"]["p50"], "{:,.0f}"),
            num(hs["latency_us"]["p99"], "{:,.0f}"), num(cpu, "{:,.0f}")))
        per_core = 1e6 / cpu if cpu else None
        print()
        print("handshakes/s measured %s (client and server share 2 CPUs); mtedge capacity per core "
              "from its CPU per handshake: %s/s; openssl speed rsa2048 private ops: %s/s per core; "
              "ratio capacity/rsa = %s" % (num(hs["handshakes_per_s"], "{:,.0f}"), num(per_core),
                                           num(rsa, "{:,.0f}"), ratio(per_core, rsa)))

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

print()
print("errors: " + ("none" if not errors else "; ".join(errors)))
