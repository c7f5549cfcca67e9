"""bench-smoke: mtedge-load against mtedge-echo directly, then through a relay mtedge over
every client transport; each run must round-trip frames with zero errors. Checks that the
tools work, not how fast anything is (no timing assertions).

The messenger variant runs mtedge-load --mode messenger against mtedge with the embedded
backend: users sign up (then, in a second run, sign in again), messages are delivered with no
errors and every user's memory is reported; with a tight flood limit the FLOOD_WAIT answers
are counted by name.

usage: smoke_test.py MTEDGE_LOAD MTEDGE_ECHO MTEDGE
       smoke_test.py --messenger MTEDGE_LOAD MTEDGE
"""
import json
import os
import re
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


def load_json(load, port, args, workdir, expect_code=0):
    """Runs mtedge-load with `args` and returns its JSON result."""
    out = os.path.join(workdir, "load.json")
    cmd = [load, "--target", "127.0.0.1:%d" % port, "--json", out] + args
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    sys.stdout.write(p.stdout)
    if p.returncode != expect_code:
        raise AssertionError("%s exited %d: %s" % (" ".join(cmd), p.returncode, p.stderr))
    with open(out) as f:
        return json.load(f)


def run_load(load, port, extra, workdir):
    result = load_json(load, port, ["--connections", "4", "--inflight", "4", "--size",
                                    "64:4,1024:1,16384:1", "--duration", "0.5", "--warmup",
                                    "0.1"] + extra, workdir)
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


def messenger_config(port, rsa_key, state_file, per_second, burst):
    return f"""
[gateway]
workers = 1
[[listener]]
address = "127.0.0.1:{port}"
transports = ["intermediate", "obfuscated"]
[crypto]
edge_decryption = true
rsa_private_keys = ["{rsa_key}"]
[backend]
type = "embedded"
[backend.embedded]
advertised_port = {port}
state_file = "{state_file}"
messages_per_second = {per_second}
message_burst = {burst}
[log]
level = "warn"
"""


def start_gateway(mtedge, config_text, workdir, name):
    port = int(re.search(r'address = "127.0.0.1:(\d+)"', config_text).group(1))
    config = os.path.join(workdir, name + ".toml")
    with open(config, "w") as f:
        f.write(config_text)
    log = open(os.path.join(workdir, name + ".log"), "w+")
    proc = subprocess.Popen([mtedge, "--config", config], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_listening(port, proc)
    except RuntimeError:
        stop(proc)
        log.seek(0)
        sys.stderr.write(log.read()[-5000:])
        raise
    return proc, log, port


def stop_gateway(proc, log):
    code = stop(proc)
    if code != 0:
        log.seek(0)
        sys.stderr.write(log.read()[-5000:])
        raise AssertionError("mtedge exited with %s on SIGTERM" % code)


def messenger_main(load, mtedge):
    with tempfile.TemporaryDirectory(prefix="mtedge-bench-smoke-") as workdir:
        rsa_key = os.path.join(workdir, "rsa.pem")
        subprocess.run(["openssl", "genrsa", "-out", rsa_key, "2048"], check=True,
                       capture_output=True)
        pairs = 3
        base = ["--mode", "messenger", "--rsa-key", rsa_key, "--pairs", str(pairs),
                "--inflight", "4", "--quiet"]
        common = base + ["--duration", "1", "--warmup", "0.2"]

        # Durable state, flood limit out of the way: sign up, then sign in again.
        state = os.path.join(workdir, "state.log")
        proc, log, port = start_gateway(
            mtedge, messenger_config(free_port(), rsa_key, state, 1000000, 1000000), workdir,
            "messenger")
        try:
            for transport in ("obfuscated:intermediate", "intermediate"):
                r = load_json(load, port, common + ["--transport", transport, "--size", "64:3,200:1",
                                                    "--watch-pid", str(proc.pid)], workdir)
                if (r["error_count"] != 0 or r["frames"] == 0 or
                        r["connections_established"] != 2 * pairs or r["pairs"] != pairs or
                        r["watch"]["rss_set_up_bytes"] == 0):
                    raise AssertionError("bad messenger result over %s: %s" % (transport, r))
        finally:
            stop_gateway(proc, log)

        # In memory, 1 message a second with a burst of 4: the sends over it are answered
        # FLOOD_WAIT_1, counted by name (the run then exits 1).
        proc, log, port = start_gateway(
            mtedge, messenger_config(free_port(), rsa_key, "", 1, 4), workdir, "flood")
        try:
            r = load_json(load, port, base + ["--duration", "0.5", "--warmup", "0"], workdir, expect_code=1)
            floods = r["errors"].get("rpc_error FLOOD_WAIT_X", 0)
            if floods == 0 or floods != r["error_count"] or r["frames"] == 0:
                raise AssertionError("expected FLOOD_WAIT errors and deliveries: %s" % r)
        finally:
            stop_gateway(proc, log)
    print("bench-smoke messenger: ok")


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
    if sys.argv[1] == "--messenger":
        return messenger_main(*sys.argv[2:4])
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
