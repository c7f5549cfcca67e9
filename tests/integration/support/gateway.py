"""Starting and stopping the real mtedge binary with a temporary TOML config."""
import os
import signal
import subprocess
import sys
import tempfile

from . import net


def binary_path():
    """The mtedge binary: $MTEDGE_BINARY (ctest passes $<TARGET_FILE:mtedge>) or argv."""
    path = os.environ.get("MTEDGE_BINARY")
    if not path:
        for arg in sys.argv[1:]:
            if arg.startswith("--mtedge="):
                path = arg.split("=", 1)[1]
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError("set MTEDGE_BINARY to the mtedge binary (got %r)" % (path,))
    return path


PLAIN_TRANSPORTS = ("abridged", "intermediate", "padded", "full")


def _front(port, workers, transports, extra_gateway="", extra_listener=""):
    """The [gateway] table and one loopback [[listener]] named "test" serving `transports`."""
    transports_text = ", ".join('"%s"' % t for t in transports)
    return f"""
[gateway]
workers = {workers}
{extra_gateway}

[[listener]]
name = "test"
address = "127.0.0.1:{port}"
transports = [{transports_text}]
{extra_listener}
"""


def relay_config(port, upstream, transport="intermediate", dc=None, workers=2,
                 connect_timeout_ms=2000, extra_relay="", extra_gateway="", log_level="info",
                 transports=PLAIN_TRANSPORTS, extra_listener="", extra_log="", admin=""):
    """A config text: one loopback listener (by default with the four plain TCP
    transports), the relay backend in front of `upstream` ("host:port"). `extra_log`: more
    keys of [log]; `admin`: the keys of [admin]."""
    dc_block = ""
    if dc:
        dc_block = "[backend.relay.dc]\n" + "".join(
            '"%s" = "%s"\n' % (k, v) for k, v in dc.items())
    return _front(port, workers, transports, extra_gateway, extra_listener) + f"""
[crypto]
edge_decryption = false

[backend]
type = "relay"

[backend.relay]
upstream = "{upstream}"
upstream_transport = "{transport}"
connect_timeout_ms = {connect_timeout_ms}
{extra_relay}
{dc_block}
[log]
level = "{log_level}"
{extra_log}
""" + ("\n[admin]\n" + admin + "\n" if admin else "")


def embedded_config(port, rsa_key, auth_key_file, advertised_ip="127.0.0.1",
                    advertised_port=None, workers=2, log_level="info", extra_listener="",
                    transports=PLAIN_TRANSPORTS + ("obfuscated",)):
    """A config text: the embedded backend behind the edge crypto stage, one loopback
    listener with every TCP transport this build serves, or `transports`
    (`extra_listener`: more keys of it, e.g. secrets). With an auth key file, the messenger
    state is kept next to it (so answers to writes wait for its fsync, as in production)."""
    state_file = (os.path.join(os.path.dirname(auth_key_file), "messenger_state.log")
                  if auth_key_file else "")
    return _front(port, workers, transports, extra_listener=extra_listener) + f"""
[crypto]
edge_decryption = true
rsa_private_keys = ["{rsa_key}"]
auth_key_file = "{auth_key_file}"

[backend]
type = "embedded"

[backend.embedded]
advertised_ip = "{advertised_ip}"
advertised_port = {advertised_port or port}
state_file = "{state_file}"

[log]
level = "{log_level}"
"""


def socket_config(port, endpoints, gateway_id="itest", rsa_key=None, workers=2, extra="",
                  outcome="-429", admin_port=None):
    """A config text: one loopback listener with the four plain TCP transports, the socket
    backend (mtedge.v1) to `endpoints`, reconnecting within 50..200 ms. `rsa_key`: edge
    decryption on with that key; `outcome`: on_backend_down as TOML ("-429", '"close"');
    `admin_port`: serve /metrics; `extra`: more keys of [backend.socket]."""
    listed = ", ".join('"%s"' % e for e in endpoints)
    crypto = "edge_decryption = false"
    if rsa_key:
        crypto = 'edge_decryption = true\nrsa_private_keys = ["%s"]' % rsa_key
    admin = f'[admin]\naddress = "127.0.0.1:{admin_port}"\n' if admin_port else ""
    return _front(port, workers, PLAIN_TRANSPORTS) + f"""
[crypto]
{crypto}

[backend]
type = "socket"

[backend.socket]
endpoints = [{listed}]
gateway_id = "{gateway_id}"
connect_timeout_ms = 2000
reconnect_min_ms = 50
reconnect_max_ms = 200
on_backend_down = {outcome}
{extra}

{admin}
[log]
level = "info"
"""


def write_config(text):
    """Writes `text` to a temporary .toml file; returns its path (caller removes it)."""
    fd, path = tempfile.mkstemp(prefix="mtedge-test-", suffix=".toml")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def check_config(text):
    """Runs `mtedge --check-config`; returns (exit code, stdout + stderr)."""
    path = write_config(text)
    try:
        p = subprocess.run([binary_path(), "--check-config", path], capture_output=True,
                           text=True, timeout=30)
        return p.returncode, p.stdout + p.stderr
    finally:
        os.unlink(path)


def rss_bytes(pid):
    """The resident set size of process `pid`, in bytes (0 if /proc does not say)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class Gateway:
    """The real mtedge process. Use as a context manager or call start()/stop()."""

    def __init__(self, config_text, port, host="127.0.0.1", env=None):
        self.env = dict(os.environ, **(env or {}))
        self.host = host
        self.port = port
        self.config_path = write_config(config_text)
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = None

    def start(self, timeout=15.0):
        self.proc = subprocess.Popen([binary_path(), "--config", self.config_path],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        if not net.wait_for_port(self.host, self.port, timeout,
                                 alive=lambda: self.proc.poll() is None):
            output = self.output()
            self.stop()
            raise RuntimeError("mtedge did not start listening on %d:\n%s" % (self.port, output))
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def output(self):
        """Everything mtedge logged so far."""
        self.log.flush()
        self.log.seek(0)
        text = self.log.read()
        self.log.seek(0, os.SEEK_END)
        return text

    def stop(self, timeout=10.0):
        """SIGTERM, then SIGKILL after `timeout`. Returns the exit code."""
        code = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                code = self.proc.wait()
        elif self.proc is not None:
            code = self.proc.returncode
        if os.path.exists(self.config_path):
            os.unlink(self.config_path)
        return code

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        self.log.close()
