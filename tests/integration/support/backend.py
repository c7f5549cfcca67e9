"""The example backend (examples/python/backend.py) as a subprocess, with its event lines."""
import os
import subprocess
import sys
import threading
import time

from . import net

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.normpath(os.path.join(HERE, "..", "..", "..", "examples", "python", "backend.py"))


class ExampleBackend:
    """Starts the example backend on `listen` ("127.0.0.1:port" or a Unix path) and keeps
    every line it prints ("<name> frame conn=.. key=.. ...")."""

    def __init__(self, listen, name, credit=256, extra=()):
        self.listen = listen
        self.name = name
        self.args = [sys.executable, "-B", EXAMPLE, "--listen", listen, "--name", name,
                     "--credit", str(credit), "--log-frames", *extra]
        self.lines = []
        self.lock = threading.Lock()
        self.proc = None

    def start(self, timeout=10.0):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env=dict(os.environ))
        threading.Thread(target=self._pump, args=(self.proc,), daemon=True).start()
        if not self.wait_for("listening", timeout):
            self.kill()
            raise RuntimeError("example backend did not start:\n" + "\n".join(self.lines))
        return self

    def _pump(self, proc):
        try:
            for line in proc.stdout:
                with self.lock:
                    self.lines.append(line.rstrip("\n"))
        except ValueError:  # closed by stop()
            pass

    def wait_for(self, text, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if any(text in line for line in self.lines):
                    return True
            if self.proc.poll() is not None:
                time.sleep(0.05)
                with self.lock:
                    return any(text in line for line in self.lines)
            time.sleep(0.02)
        return False

    def keys(self):
        """The auth_key_ids (ints) this backend received frames for."""
        out = set()
        with self.lock:
            for line in self.lines:
                for field in line.split():
                    if field.startswith("key="):
                        out.add(int(field[4:], 16))
        return out

    def kill(self):
        """SIGKILL: the backend vanishes without closing its streams cleanly."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close_pipe()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._close_pipe()

    def _close_pipe(self):
        if self.proc and self.proc.stdout:
            time.sleep(0.05)  # let the pump read the last lines
            self.proc.stdout.close()


def tcp_listen():
    return "127.0.0.1:%d" % net.free_port()
