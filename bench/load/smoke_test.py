"""bench-smoke: mtedge-load against mtedge-echo directly, then through a relay mtedge over
every client transport; each run must round-trip frames with zero errors. Checks that the
tools work, not how fast anything is (no timing assertions).

usage: smoke_test.py MTEDGE_LOAD MTEDGE_ECHO MTEDGE
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

PLAIN_SECRET = "0123456789abcdef0123456789abcdef"
DD_SECRET = "dd00112233445566778899aabbccddeeff"
EE_SECRET = "ee" + "ffeeddccbbaa99887766554433221100" + b"example.com".hex()

RELAY_RUNS = [
    ["--transport", "intermediate"],
    ["--transport", "abridged"],
    ["--transport", "padded"],
    ["--transport", "full"],
    ["--transport", "obfuscated:intermediate"],
    ["--transport", "obfuscated:abridged", "--secret", PLAIN_SECRET],
    ["--transport", "obfuscated:padded", "--secret", DD_SECRET],
    ["--transport", "fake-tls:intermediate", "--secret", EE_SECRET],
    ["--transport", "websocket:intermediate"],
    ["--transport", "http"],
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, seconds=15):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("process exited with %s before listening" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on port %d" % port)


def run_load(load, port, extra, workdir):
    out = os.path.join(workdir, "load.json")
    cmd = [load, "--target", "127.0.0.1:%d" % port, "--connections", "4", "--inflight", "4",
           "--size", "64:4,1024:1,16384:1", "--duration", "0.5", "--warmup", "0.1",
           "--json", out] + extra
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    sys.stdout.write(p.stdout)
    if p.returncode != 0:
        raise AssertionError("%s exited %d: %s" % (" ".join(cmd), p.returncode, p.stderr))
    with open(out) as f:
        result = json.load(f)
    if result["error_count"] != 0 or result["frames"] == 0 or result["connections_established"] != 4:
        raise AssertionError("bad result for %s: %s" % (extra, result))


def relay_config(port, upstream):
    secrets = ", ".join('{ label = "s%d", secret = "%s" }' % (i, s)
                        for i, s in enumerate([PLAIN_SECRET, DD_SECRET, EE_SECRET]))
    return f"""
[gateway]
workers = 1
[[listener]]
address = "127.0.0.1:{port}"
transports = ["abridged", "intermediate", "padded", "full", "obfuscated", "fake-tls", "websocket", "http"]
secrets = [{secrets}]
allow_no_secret = true
[crypto]
edge_decryption = false
[backend]
type = "relay"
[backend.relay]
upstream = "{upstream}"
upstream_transport = "intermediate"
[log]
level = "warn"
"""


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()
    return proc.returncode


def main():
    load, echo_bin, mtedge = sys.argv[1:4]
    with tempfile.TemporaryDirectory(prefix="mtedge-bench-smoke-") as workdir:
        echo = subprocess.Popen([echo_bin, "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, text=True)
        gateway = None
        try:
            echo_port = int(echo.stdout.readline().rsplit(":", 1)[1])
            run_load(load, echo_port, ["--transport", "intermediate"], workdir)

            port = free_port()
            config = os.path.join(workdir, "relay.toml")
            with open(config, "w") as f:
                f.write(relay_config(port, "127.0.0.1:%d" % echo_port))
            log = open(os.path.join(workdir, "mtedge.log"), "w+")
            gateway = subprocess.Popen([mtedge, "--config", config], stdout=log, stderr=subprocess.STDOUT)
            wait_listening(port, gateway)
            for extra in RELAY_RUNS:
                run_load(load, port, extra, workdir)
        finally:
            code = stop(gateway) if gateway else 0
            stop(echo)
            if gateway and code != 0:
                log.seek(0)
                sys.stderr.write(log.read()[-5000:])
                raise AssertionError("mtedge exited with %s on SIGTERM" % code)
    print("bench-smoke: ok")


if __name__ == "__main__":
    main()
