"""The mtedge command line an operator meets first: --version, the argument forms, signals
(SIGHUP never ends the process), running as another user, and the systemd unit."""
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from base import HERE  # also puts support/ on the import path
from support import gateway, keys, net


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
        self.assertIn('a config file named twice ("a.toml" and "b.toml")', out)
        code, out = run("--config=")
        self.assertEqual(code, 2, out)
        self.assertIn("--config needs a file name", out)


class SecretsAndLinks(unittest.TestCase):
    def test_new_secrets_are_accepted_by_a_listener_and_linked(self):
        code, dd = run("secret")
        self.assertEqual(code, 0, dd)
        self.assertRegex(dd.strip(), r"^dd[0-9a-f]{32}$")
        code, ee = run("secret", "ee", "example.com")
        self.assertEqual(code, 0, ee)
        self.assertRegex(ee.strip(), r"^ee[0-9a-f]{32}%s$" % b"example.com".hex())
        self.assertNotEqual(run("secret")[1], dd, "two secrets in a row must differ")
        code, out = run("secret", "ee")
        self.assertEqual(code, 2)
        self.assertIn("an ee secret needs the domain", out)
        config = gateway.relay_config(4433, "127.0.0.1:8443", transports=("obfuscated", "fake-tls"),
                                      extra_listener='secrets = [{ label = "friends", secret = '
                                      '"%s" }, { label = "site", secret = "%s" }]'
                                      % (dd.strip(), ee.strip()))
        path = gateway.write_config(config)
        try:
            code, out = run("links", "--config", path, "--host", "proxy.example.net")
            self.assertEqual(code, 0, out)
            for secret in (dd.strip(), ee.strip()):
                self.assertIn("tg://proxy?server=proxy.example.net&port=4433&secret=" + secret, out)
                self.assertIn("https://t.me/proxy?server=proxy.example.net&port=4433&secret="
                              + secret, out)
        finally:
            os.unlink(path)


class OneProcessPerKeyFile(unittest.TestCase):
    def test_second_process_on_the_same_auth_key_file_is_refused(self):
        with tempfile.TemporaryDirectory() as tmp:
            rsa = keys.make_rsa_key(tmp)
            key_file = os.path.join(tmp, "auth_keys.bin")
            first_port, second_port = net.free_port(), net.free_port()
            with gateway.Gateway(gateway.embedded_config(first_port, rsa, key_file),
                                 first_port) as first:
                second = gateway.Gateway(gateway.embedded_config(second_port, rsa, key_file),
                                         second_port)
                with self.assertRaises(RuntimeError) as failed:
                    second.start(timeout=10)
                self.assertEqual(second.proc.returncode, 3)
                self.assertIn("is in use by another process (pid %d)" % first.proc.pid,
                              str(failed.exception))
            # Once the first has stopped, the file is free again.
            with gateway.Gateway(gateway.embedded_config(second_port, rsa, key_file),
                                 second_port):
                pass


class OneProcessPerPort(unittest.TestCase):
    def test_second_process_on_a_bound_port_is_refused_unless_asked(self):
        port = net.free_port()
        upstream = "127.0.0.1:%d" % net.free_port()
        with gateway.Gateway(gateway.relay_config(port, upstream), port):
            second = gateway.Gateway(gateway.relay_config(port, upstream), port)
            second.proc = subprocess.Popen([gateway.binary_path(), "--config", second.config_path],
                                           stdout=second.log, stderr=subprocess.STDOUT)
            self.assertEqual(second.proc.wait(timeout=15), 3, second.output())
            self.assertIn("listener[0] (test): 127.0.0.1:%d is already bound by another "
                          "process" % port, second.output())
            second.stop()
            # Asked for: both run.
            shared = gateway.Gateway(gateway.relay_config(port, upstream).replace(
                'name = "test"', 'name = "test"\nshare_port = true'), port)
            shared.proc = subprocess.Popen([gateway.binary_path(), "--config", shared.config_path],
                                           stdout=shared.log, stderr=subprocess.STDOUT)
            deadline = time.time() + 10
            while "worker 0: running" not in shared.output() and time.time() < deadline:
                self.assertIsNone(shared.proc.poll(), shared.output())
                time.sleep(0.05)
            self.assertIn("worker 0: running", shared.output())
            self.assertEqual(shared.stop(), 0, shared.output())


class Signals(unittest.TestCase):
    def test_sighup_is_logged_and_ignored(self):
        port = net.free_port()
        config = gateway.relay_config(port, "127.0.0.1:%d" % net.free_port(), workers=1)
        with gateway.Gateway(config, port) as gw:
            # Until the main loop logs it (before that it is ignored without a word).
            deadline = time.time() + 5
            while "received SIGHUP" not in gw.output() and time.time() < deadline:
                gw.proc.send_signal(signal.SIGHUP)
                time.sleep(0.2)
            self.assertIn("received SIGHUP: ignored", gw.output())
            self.assertTrue(gw.alive(), gw.output())
            # Still accepting.
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            self.assertEqual(gw.stop(), 0, gw.output())


class AccessLog(unittest.TestCase):
    def wait_for(self, gw, pattern):
        deadline = time.time() + 10
        while time.time() < deadline:
            found = re.search(pattern, gw.output())
            if found:
                return found
            time.sleep(0.05)
        self.fail("no line matching %r in:\n%s" % (pattern, gw.output()))

    def test_one_line_per_closed_connection(self):
        port = net.free_port()
        config = gateway.relay_config(port, "127.0.0.1:%d" % net.free_port(), workers=1)
        config = config.replace('level = "info"', 'level = "info"\naccess = true')
        with gateway.Gateway(config, port) as gw:
            # An intermediate client that sends one 8-byte packet and hangs up.
            client = socket.create_connection(("127.0.0.1", port), timeout=5)
            client_port = client.getsockname()[1]
            client.sendall(b"\xee\xee\xee\xee" + (8).to_bytes(4, "little") + b"\x00" * 8)
            time.sleep(0.2)
            client.close()
            line = self.wait_for(gw, r"access: listener=test client=127\.0\.0\.1:%d "
                                     r"transport=intermediate secret=- in=16 out=0 "
                                     r"duration_ms=\d+ reason=(\w+)" % client_port)
            self.assertIn(line.group(1), ("peer_closed", "adapter"))
            # Bytes no transport starts with: refused before a transport is known.
            client = socket.create_connection(("127.0.0.1", port), timeout=5)
            client_port = client.getsockname()[1]
            client.sendall(b"GARBAGE!" * 8)
            self.wait_for(gw, r"access: listener=test client=127\.0\.0\.1:%d transport=- "
                              r"secret=- in=64 out=0 duration_ms=\d+ reason=protocol_error"
                          % client_port)
            client.close()
            self.assertEqual(gw.stop(), 0, gw.output())

    def test_off_by_default(self):
        port = net.free_port()
        config = gateway.relay_config(port, "127.0.0.1:%d" % net.free_port(), workers=1)
        with gateway.Gateway(config, port) as gw:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            time.sleep(0.3)
            self.assertEqual(gw.stop(), 0, gw.output())
            self.assertNotIn("access:", gw.output())


class RunAsAnotherUser(unittest.TestCase):
    def test_unknown_user_fails_the_config_check_naming_the_key(self):
        config = gateway.relay_config(4433, "127.0.0.1:8443",
                                      extra_gateway='user = "no-such-user-mtedge"')
        code, out = gateway.check_config(config)
        self.assertEqual(code, 1, out)
        self.assertIn('gateway.user: no such user "no-such-user-mtedge"', out)
        config = gateway.relay_config(4433, "127.0.0.1:8443", extra_gateway='group = "nogroup"')
        code, out = gateway.check_config(config)
        self.assertEqual(code, 1, out)
        self.assertIn("gateway.group: set only with gateway.user", out)

    @unittest.skipUnless(os.geteuid() == 0, "switching users needs root")
    def test_root_binds_then_runs_as_the_user_who_owns_the_files(self):
        nobody = pwd.getpwnam("nobody")
        with tempfile.TemporaryDirectory() as tmp:
            rsa = keys.make_rsa_key(tmp)  # read while the config is parsed, as root
            state = os.path.join(tmp, "state")
            os.mkdir(state, 0o700)
            os.chown(state, nobody.pw_uid, nobody.pw_gid)
            os.chmod(tmp, 0o755)
            key_file = os.path.join(state, "auth_keys.bin")
            port = net.free_port()
            config = gateway.embedded_config(port, rsa, key_file).replace(
                "[gateway]\n", '[gateway]\nuser = "nobody"\n', 1)
            with gateway.Gateway(config, port) as gw:
                deadline = time.time() + 5
                while "worker 0: running" not in gw.output() and time.time() < deadline:
                    time.sleep(0.05)
                self.assertIn("running as user nobody (uid %d, gid %d)"
                              % (nobody.pw_uid, nobody.pw_gid), gw.output())
                with open("/proc/%d/status" % gw.proc.pid) as f:
                    ids = {line.split()[0]: line.split()[1:] for line in f
                           if line.startswith(("Uid:", "Gid:", "Groups:"))}
                self.assertEqual(ids["Uid:"], [str(nobody.pw_uid)] * 4)
                self.assertEqual(ids["Gid:"], [str(nobody.pw_gid)] * 4)
                self.assertEqual(ids["Groups:"], [str(nobody.pw_gid)])
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
                # The auth key file was created after the switch: it belongs to the user.
                self.assertEqual(os.stat(key_file).st_uid, nobody.pw_uid)
                self.assertEqual(gw.stop(), 0, gw.output())


class SystemdUnit(unittest.TestCase):
    UNIT = os.path.join(HERE, "..", "..", "conf", "mtedge.service")

    def test_unit_runs_the_installed_binary_with_a_config_it_accepts(self):
        with open(self.UNIT) as f:
            unit = f.read()
        exec_start = re.search(r"^ExecStart=(\S+) --config (\S+)$", unit, re.M)
        self.assertIsNotNone(exec_start, "ExecStart must be `<binary> --config <file>`")
        self.assertEqual(exec_start.group(1), "/usr/local/bin/mtedge")  # make install puts it
        # SIGHUP is ignored: a reload must not stop it.
        self.assertIsNone(re.search(r"^ExecReload=", unit, re.M))
        self.assertIn("AmbientCapabilities=CAP_NET_BIND_SERVICE", unit)
        if shutil.which("systemd-analyze"):
            with tempfile.TemporaryDirectory() as tmp:
                copy = os.path.join(tmp, "mtedge.service")
                with open(copy, "w") as f:
                    f.write(unit.replace(exec_start.group(1), gateway.binary_path()))
                p = subprocess.run(["systemd-analyze", "verify", copy], capture_output=True,
                                   text=True, timeout=60)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


if __name__ == "__main__":
    unittest.main()
