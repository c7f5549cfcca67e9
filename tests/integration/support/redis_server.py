"""A real redis-server for the integration tests: on a free loopback port in a temporary
directory, without persistence, stopped by its pid (never a system daemon); and a minimal
RESP client for checks (one blocking connection per call)."""
import os
import shutil
import socket
import subprocess
import tempfile
import time

from . import net


def installed():
    return shutil.which("redis-server") is not None


def _read_line(f):
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise EOFError("redis: connection closed")
    return line[:-2]


def _read_reply(f):
    """One RESP2 reply: str for simple strings and bulk strings (as text), int, None (nil),
    list, or RuntimeError raised for an error reply."""
    line = _read_line(f)
    kind, rest = line[:1], line[1:]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2].decode("utf-8", "replace")
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_read_reply(f) for _ in range(n)]
    raise RuntimeError("redis: unexpected reply %r" % line)


class RedisServer:
    def __init__(self, *extra_args):
        self.dir = tempfile.mkdtemp(prefix="mtedge-redis-")
        self.port = net.free_port()
        self.extra_args = list(extra_args)
        self.proc = None

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def start(self, timeout=10.0):
        """Starts (again, on the same port after kill()) and waits until it answers PING."""
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--save", "", "--appendonly", "no", "--logfile", os.path.join(self.dir, "redis.log")]
            + self.extra_args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if self.call("PING") == "PONG":
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError("redis-server did not answer on port %d" % self.port)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def close(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def call(self, *args, timeout=5.0):
        """One command on a fresh connection; its reply (see _read_reply)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            out = b"*%d\r\n" % len(args)
            for a in args:
                a = a if isinstance(a, bytes) else str(a).encode()
                out += b"$%d\r\n%s\r\n" % (len(a), a)
            s.sendall(out)
            with s.makefile("rb") as f:
                return _read_reply(f)

    def entries(self, stream):
        """XRANGE stream - +: [(id, {field: value})], oldest first."""
        return [(entry_id, dict(zip(flat[::2], flat[1::2])))
                for entry_id, flat in self.call("XRANGE", stream, "-", "+")]
