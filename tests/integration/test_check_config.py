"""`mtedge --check-config`: a bad block exits non-zero naming the key path; settings that work
against each other are printed as warnings naming the keys."""
import os
import shutil
import subprocess
import tempfile
import unittest

from base import HERE  # also puts support/ on the import path
from support import gateway

GOOD = gateway.relay_config(4433, "127.0.0.1:8443")


class CheckConfig(unittest.TestCase):
    def test_good_config(self):
        code, out = gateway.check_config(GOOD)
        self.assertEqual(code, 0, out)
        self.assertIn("config ok", out)

    def test_shipped_config(self):
        # conf/mtedge.toml names ../var/rsa_private.pem relative to its own folder, which
        # `make run` generates with openssl genrsa; do the same in a scratch checkout and check
        # it from another working directory (relative paths do not depend on it).
        shipped = os.path.abspath(os.path.join(HERE, "..", "..", "conf", "mtedge.toml"))
        with tempfile.TemporaryDirectory() as checkout, tempfile.TemporaryDirectory() as cwd:
            os.mkdir(os.path.join(checkout, "conf"))
            conf = os.path.join(checkout, "conf", "mtedge.toml")
            shutil.copy(shipped, conf)
            check = [gateway.binary_path(), "--check-config", conf]
            p = subprocess.run(check, capture_output=True, text=True, timeout=30, cwd=cwd)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("crypto.rsa_private_keys[0]", p.stdout + p.stderr)
            self.assertIn(os.path.join(checkout, "var", "rsa_private.pem"), p.stdout + p.stderr)
            os.mkdir(os.path.join(checkout, "var"))
            subprocess.run(["openssl", "genrsa", "-out",
                            os.path.join(checkout, "var", "rsa_private.pem"), "2048"],
                           check=True, capture_output=True)
            p = subprocess.run(check, capture_output=True, text=True, timeout=30, cwd=cwd)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertFalse(os.path.exists(os.path.join(checkout, "var", "auth_keys.bin")),
                             "--check-config must not create the auth key file")

    def test_bad_relay_blocks_name_the_key(self):
        cases = [
            (GOOD.replace('upstream = "127.0.0.1:8443"', 'upstream = "x"'),
             'backend.relay.upstream: invalid address "x"'),
            (GOOD.replace('upstream = "127.0.0.1:8443"', ""), "backend.relay.upstream: missing"),
            (GOOD.replace('upstream_transport = "intermediate"', 'upstream_transport = "udp"'),
             "backend.relay.upstream_transport"),
            (GOOD.replace("connect_timeout_ms = 2000", "connect_timeout_ms = -5"),
             "backend.relay.connect_timeout_ms"),
            (GOOD.replace("connect_timeout_ms = 2000", "connect_timeout_ms = 2000\nbogus = 1"),
             "backend.relay.bogus: unknown key"),
            (gateway.relay_config(4433, "127.0.0.1:8443", dc={"two": "127.0.0.1:1"}),
             "backend.relay.dc.two"),
            (gateway.relay_config(4433, "127.0.0.1:8443", dc={"2": "nowhere"}),
             "backend.relay.dc.2"),
            (gateway.relay_config(4433, "127.0.0.1:8443", extra_relay='dc = { "2" = 443 }'),
             "backend.relay.dc.2: expected a string"),
            (GOOD.replace("connect_timeout_ms = 2000", 'connect_timeout_ms = "2s"'),
             "backend.relay.connect_timeout_ms: expected an integer"),
            (GOOD + '\n[admin]\naddress = "localhost:9090"\n',
             'admin.address: invalid address "localhost:9090"'),
        ]
        for text, expected in cases:
            with self.subTest(expected=expected):
                code, out = gateway.check_config(text)
                self.assertNotEqual(code, 0, out)
                self.assertIn(expected, out)

    def test_warnings_name_the_keys(self):
        ee = "ee0123456789abcdef0123456789abcdef6578616d706c652e636f6d"
        text = gateway.relay_config(
            4433, "127.0.0.1:8443", transports=["fake-tls"],
            extra_gateway="replay_window_seconds = 60",
            extra_listener='secrets = [{ label = "t", secret = "%s" }]' % ee)
        code, out = gateway.check_config(text)
        self.assertEqual(code, 0, out)
        self.assertIn("config warning: gateway.replay_window_seconds (60) is shorter than "
                      "gateway.tls_max_past_seconds + gateway.tls_max_future_seconds (720)", out)
        self.assertIn("config ok", out)
        code, out = gateway.check_config(GOOD)
        self.assertNotIn("config warning", out)


if __name__ == "__main__":
    unittest.main()
