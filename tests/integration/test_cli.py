"""The mtedge command line an operator meets first: --version, the argument forms, and
signals (SIGHUP never ends the process)."""
import os
import re
import signal
import socket
import subprocess
import time
import unittest

from base import HERE  # also puts support/ on the import path
from support import gateway, net


def run(*args):
    p = subprocess.run([gateway.binary_path(), *args], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr


class CommandLine(unittest.TestCase):
    def test_version_names_commit_build_libraries_and_adapters(self):
        for flag in ("--version", "-V"):
            code, out = run(flag)
            self.assertEqual(code, 0, out)
            self.assertRegex(out, r"^mtedge \d+\.\d+\.\d+ \(commit ([0-9a-f]{7,}(-dirty)?|unknown), ")
            self.assertIn(" build)", out)
            self.assertIn("OpenSSL 3", out)
            self.assertRegex(out, r"libuv \d+\.\d+")
            for adapter in ("embedded", "relay", "socket"):
                self.assertIn(adapter, out.splitlines()[-1])

    def test_config_with_equals_sign(self):
        path = gateway.write_config(gateway.relay_config(4433, "127.0.0.1:8443"))
        try:
            code, out = run("--check-config=" + path)
            self.assertEqual(code, 0, out)
            self.assertIn("config ok", out)
        finally:
            os.unlink(path)

    def test_config_given_twice_is_refused(self):
        code, out = run("--config", "a.toml", "--config=b.toml")
        self.assertEqual(code, 2, out)
        self.assertIn('--config given twice ("a.toml" and "b.toml")', out)
        code, out = run("--config=")
        self.assertEqual(code, 2, out)
        self.assertIn("--config needs a file name", out)


class Signals(unittest.TestCase):
    def test_sighup_is_logged_and_ignored(self):
        port = net.free_port()
        config = gateway.relay_config(port, "127.0.0.1:%d" % net.free_port(), workers=1)
        with gateway.Gateway(config, port) as gw:
            gw.proc.send_signal(signal.SIGHUP)
            deadline = time.time() + 5
            while "received SIGHUP" not in gw.output() and time.time() < deadline:
                time.sleep(0.05)
            self.assertIn("received SIGHUP: ignored", gw.output())
            self.assertTrue(gw.alive(), gw.output())
            # Still accepting.
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            self.assertEqual(gw.stop(), 0, gw.output())


if __name__ == "__main__":
    unittest.main()
