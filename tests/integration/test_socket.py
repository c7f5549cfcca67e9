"""The real mtedge binary with the socket backend (mtedge.v1) in front of the example
backend (examples/python/backend.py), edge decryption off.

Frames of every plain transport round-trip with quick acks; order holds for a burst; two
endpoints split auth keys and every connection of a key reaches the same one, including a
connection that did its handshake elsewhere first; killing an
endpoint gives its clients the configured outcome (-429) and leaves the other's alone, and
it serves again once restarted; a backend that stops reading causes backpressure and the
deadline outcome, with bounded memory; Unix socket endpoints work.
"""
import json
import os
import struct
import tempfile
import time
import threading
import unittest
import urllib.error
import urllib.request
import zlib

from support import gateway, net
from support.backend import ExampleBackend, tcp_listen
from support.client import Client, Closed


def encrypted(key, size=64, seed=0):
    """A pass-through packet: auth_key_id, then bytes standing in for msg_key + ciphertext."""
    body = bytes((seed + i * 13) & 0xFF for i in range(size - 8))
    return struct.pack("<Q", key) + body


def unencrypted(size=40, seed=0):
    return b"\x00" * 8 + bytes((seed + i) & 0xFF for i in range(size - 8))


class SocketCase(unittest.TestCase):
    """One mtedge and the given example backends per test class."""

    backends = ("b1",)
    extra = ""
    backend_args = ()
    unix = False
    outcome = "-429"
    admin = False  # serve /metrics on cls.admin_port

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mtedge-socket-")
        cls.servers = []
        for name in cls.backends:
            listen = os.path.join(cls.tmp, name + ".sock") if cls.unix else tcp_listen()
            cls.servers.append(ExampleBackend(listen, name, extra=cls.backend_args).start())
        cls.port = net.free_port()
        cls.admin_port = net.free_port() if cls.admin else None
        endpoints = [s.listen for s in cls.servers]
        config = gateway.socket_config(cls.port, endpoints, extra=cls.extra, outcome=cls.outcome,
                                       admin_port=cls.admin_port)
        cls.gw = gateway.Gateway(config, cls.port)
        try:
            cls.gw.start()
            cls.wait_ready(len(cls.servers))
        except Exception:
            for s in cls.servers:
                s.stop()
            raise

    @classmethod
    def wait_ready(cls, count, timeout=10.0):
        # Every worker connects to every endpoint; the backend logs each hello.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(sum("hello" in l for l in s.lines) >= 2 for s in cls.servers[:count]):
                return
            time.sleep(0.05)
        raise RuntimeError("mtedge did not connect to every backend:\n" + cls.gw.output())

    @classmethod
    def tearDownClass(cls):
        code = cls.gw.stop()
        output = cls.gw.output()
        cls.gw.log.close()
        for s in cls.servers:
            s.stop()
        if getattr(cls, "_dump_log", False) or code not in (0, None):
            print("\n---- mtedge log (exit %s) ----\n%s" % (code, output[-20000:]))
        if code not in (0, None):
            raise AssertionError("mtedge exited with %s on SIGTERM" % code)

    def tearDown(self):
        result = getattr(self._outcome, "result", None)
        if result is not None and any(t is self for t, _ in list(result.errors) + list(result.failures)):
            type(self)._dump_log = True
        self.assertTrue(self.gw.alive(), "mtedge died")

    def client(self, transport="intermediate", seed=1):
        c = Client(self.port, transport, seed=seed)
        self.addCleanup(c.close)
        return c

    def scrape(self):
        """GET /metrics: {name: value} of the unlabelled samples, and the whole text."""
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.admin_port,
                                    timeout=5) as reply:
            text = reply.read().decode()
        samples = {}
        for line in text.splitlines():
            if line and not line.startswith("#") and "{" not in line:
                name, value = line.split()
                samples[name] = int(value)
        return samples, text

    def home_of(self, key):
        """The backend that received frames for `key` (its log line may trail the echo)."""
        deadline = time.monotonic() + 2
        homes = []
        while time.monotonic() < deadline:
            homes = [s for s in self.servers if key in s.keys()]
            if homes:
                break
            time.sleep(0.02)
        self.assertEqual(len(homes), 1, "key %x seen by %s" % (key, [s.name for s in homes]))
        return homes[0]

    def keys_on_both(self, base):
        """20 keys from `base`, a connection each with one echoed packet. Returns the
        connections by key, the first endpoint (the victim), its keys and the other keys;
        both endpoints must have some."""
        keys = [base + i * 7919 for i in range(1, 21)]
        conns = {}
        for key in keys:
            c = self.client("intermediate", seed=key & 0xFF)
            c.send(encrypted(key, 32))
            self.assertEqual(c.read_packet(), encrypted(key, 32))
            conns[key] = c
        victim = self.servers[0]
        victim_keys = [k for k in keys if self.home_of(k) is victim]
        other_keys = [k for k in keys if k not in victim_keys]
        self.assertTrue(victim_keys and other_keys)
        return conns, victim, victim_keys, other_keys


class RoundTrip(SocketCase):
    def check_transport(self, transport):
        c = self.client(transport)
        for packet in (unencrypted(40, 1), encrypted(0x1122334455667788, 128, 2),
                       encrypted(0x1122334455667788, 4096, 3)):
            c.send(packet)
            got = c.read_packet()
            if transport == "padded":
                # Padded intermediate: up to 12 bytes of client padding reach the backend.
                self.assertEqual(got[:len(packet)], packet)
            else:
                self.assertEqual(got, packet)

    def test_abridged(self):
        self.check_transport("abridged")

    def test_intermediate(self):
        self.check_transport("intermediate")

    def test_padded(self):
        self.check_transport("padded")

    def test_full(self):
        self.check_transport("full")

    def test_quick_ack(self):
        c = self.client("intermediate")
        packet = encrypted(0x55, 64, 9)
        c.send(packet, quick_ack=True)
        unit = c.read_unit()
        self.assertEqual(unit[0], "ack", unit)
        self.assertEqual(unit[1], zlib.crc32(packet) | 0x80000000)
        self.assertEqual(c.read_packet(), packet)

    def test_order_of_a_burst(self):
        c = self.client("abridged")
        packets = [encrypted(0x77, 32 + 4 * (i % 50), i) for i in range(500)]
        c.send_raw(b"".join(c.frame_bytes(p) for p in packets))
        for i, p in enumerate(packets):
            self.assertEqual(c.read_packet(), p, "frame %d out of order" % i)

    def test_many_clients_at_once(self):
        clients = [self.client("intermediate", seed=i) for i in range(40)]
        for i, c in enumerate(clients):
            c.send(encrypted(1000 + i, 48, i))
        for i, c in enumerate(clients):
            self.assertEqual(c.read_packet(), encrypted(1000 + i, 48, i))


class TwoEndpoints(SocketCase):
    backends = ("b1", "b2")
    admin = True

    def test_keys_split_and_stick(self):
        keys = [0x0100000000000000 + i * 0x9E3779B97F4A7C15 % (1 << 63) for i in range(1, 41)]
        for key in keys:
            # Two connections per key (they may land on different workers).
            for seed in (1, 2):
                c = self.client("intermediate", seed=seed)
                c.send(encrypted(key, 32, seed))
                self.assertEqual(c.read_packet(), encrypted(key, 32, seed))
        counts = {s.name: 0 for s in self.servers}
        for key in keys:
            counts[self.home_of(key).name] += 1
        self.assertTrue(all(n >= 8 for n in counts.values()), counts)


    def test_handshake_then_key_moves_to_the_keys_endpoint(self):
        # Handshake packets go by connection id; once the connection uses an auth key it
        # moves to that key's endpoint, the same one a fresh connection of the key reaches.
        for i in range(12):
            key = 0x0300000000000000 + i * 104729
            c = self.client("intermediate", seed=i)
            c.send(unencrypted(40, i))
            self.assertEqual(c.read_packet(), unencrypted(40, i))
            c.send(encrypted(key, 48, i))
            self.assertEqual(c.read_packet(), encrypted(key, 48, i))
            fresh = self.client("abridged", seed=i)
            fresh.send(encrypted(key, 52, i))
            self.assertEqual(fresh.read_packet(), encrypted(key, 52, i))
            self.home_of(key)  # exactly one endpoint saw the key
        # Every move is counted: /metrics agrees with the REBOUND closes the backends saw.
        rebound = "reason=%d" % 7  # CLOSE_REASON_REBOUND
        deadline = time.monotonic() + 2
        while True:
            seen = sum(rebound in l for srv in self.servers for l in list(srv.lines))
            counted = self.scrape()[0]["mtedge_socket_rebinds_total"]
            if seen == counted or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(counted, seen)

    def test_order_under_load(self):
        # Twelve clients over three transports, both endpoints and both workers, each with
        # 400 frames in flight at once (far beyond the credit window): every connection gets
        # its own frames back in the order it sent them.
        failures = []

        def drive(c, key):
            packets = [encrypted(key, 24 + 4 * (i % 64), i) for i in range(400)]
            wire = b"".join(c.frame_bytes(p) for p in packets)
            sender = threading.Thread(target=c.send_raw, args=(wire,))
            sender.start()
            try:
                for i, p in enumerate(packets):
                    got = c.read_packet()
                    if got != p:
                        failures.append("key %x: frame %d out of order" % (key, i))
                        return
            except Exception as e:  # noqa: BLE001 (reported below)
                failures.append("key %x: %r" % (key, e))
            finally:
                sender.join()

        clients = [(self.client(t, seed=i), 0x0500000000000000 + i * 104729)
                   for i, t in enumerate(("abridged", "intermediate", "full") * 4)]
        threads = [threading.Thread(target=drive, args=pair) for pair in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(failures, [])
        homes = {self.home_of(key).name for _, key in clients}
        self.assertEqual(homes, {"b1", "b2"})


class EndpointDown(SocketCase):
    backends = ("b1", "b2")

    def test_kill_gives_the_outcome_and_restart_recovers(self):
        conns, victim, victim_keys, other_keys = self.keys_on_both(0x0200000000000000)

        victim.kill()
        # Its clients get -429, then the connection closes.
        for key in victim_keys:
            units = conns[key].wait_closed(timeout=5)
            self.assertIn(("error", -429), units, "key %x" % key)
        # The other endpoint's clients are untouched.
        for key in other_keys:
            conns[key].send(encrypted(key, 36))
            self.assertEqual(conns[key].read_packet(), encrypted(key, 36))
        # While down, a new client of a victim key gets the outcome at once.
        c = self.client("intermediate")
        c.send(encrypted(victim_keys[0], 32))
        self.assertIn(("error", -429), c.wait_closed(timeout=5))

        # Back on the same address: the gateway reconnects (backoff <= 200 ms).
        restarted = ExampleBackend(victim.listen, victim.name).start()
        self.servers[0] = restarted
        deadline = time.monotonic() + 10
        while True:
            c = Client(self.port, "intermediate")
            try:
                c.send(encrypted(victim_keys[0], 40))
                unit = c.read_unit(timeout=3)
                if unit == ("packet", encrypted(victim_keys[0], 40)):
                    break
            except (Closed, TimeoutError, OSError):
                pass
            finally:
                c.close()
            self.assertLess(time.monotonic(), deadline, "no recovery after restart")
            time.sleep(0.1)
        self.assertIs(self.home_of(victim_keys[0]), restarted)


class HealthFollowsTheBackend(SocketCase):
    """GET /health on the management API: 503 "backend_down" while no endpoint's stream is
    ready, 200 again once the backend is back."""

    admin = True

    def health(self):
        """(status, body) of GET /health; (None, None) while the port does not answer."""
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/health" % self.admin_port,
                                        timeout=5) as reply:
                return reply.status, json.loads(reply.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())
        except OSError:
            return None, None

    def wait_health(self, status, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            got = self.health()
            if got[0] == status:
                return got[1]
            self.assertLess(time.monotonic(), deadline, "health stays %r" % (got,))
            time.sleep(0.05)

    def test_health_turns_503_while_the_backend_is_down(self):
        self.assertEqual(self.wait_health(200)["status"], "ok")
        victim = self.servers[0]
        victim.kill()
        body = self.wait_health(503)
        self.assertEqual(body, {"status": "backend_down", "backend_up": False})
        self.servers[0] = ExampleBackend(victim.listen, victim.name).start()
        self.assertEqual(self.wait_health(200)["backend_up"], True)


class EndpointDownClose(SocketCase):
    """on_backend_down = "close": an endpoint's failure closes its clients without a transport
    error; /metrics counts the stream failures and the outcomes."""

    backends = ("b1", "b2")
    outcome = '"close"'
    admin = True

    def test_kill_closes_its_clients(self):
        conns, victim, victim_keys, other_keys = self.keys_on_both(0x0400000000000000)
        before = self.scrape()[0]

        victim.kill()
        for key in victim_keys:
            units = conns[key].wait_closed(timeout=5)
            self.assertEqual([u for u in units if u[0] == "error"], [], "key %x" % key)
        for key in other_keys:
            conns[key].send(encrypted(key, 36))
            self.assertEqual(conns[key].read_packet(), encrypted(key, 36))
        # While down, a new client of a victim key is closed at once.
        c = self.client("intermediate")
        c.send(encrypted(victim_keys[0], 32))
        self.assertEqual([u for u in c.wait_closed(timeout=5) if u[0] == "error"], [])

        after = self.scrape()[0]
        outcomes = (after["mtedge_socket_down_outcomes_total"] -
                    before["mtedge_socket_down_outcomes_total"])
        self.assertEqual(outcomes, len(victim_keys) + 1)
        # Both workers' streams to the victim failed (and maybe some reconnects since).
        failures = (after["mtedge_socket_stream_failures_total"] -
                    before["mtedge_socket_stream_failures_total"])
        self.assertGreaterEqual(failures, 2)


class StalledBackend(SocketCase):
    """A backend that stops reading after a few frames: clients are paused (bounded memory),
    then get the outcome after message_deadline_ms."""

    backend_args = ("--stop-reading-after", "3", "--credit", "8")
    extra = "message_deadline_ms = 1500\nmax_queued_bytes = 1048576"
    admin = True

    def test_backpressure_then_deadline(self):
        c = self.client("intermediate")
        chunk = encrypted(0x99, 64 * 1024, 1)
        c.sock.setblocking(False)
        sent = 0
        pending = c.frame_bytes(chunk)
        # Stop pushing before message_deadline_ms (1.5 s) and read: a client still flooding
        # when the gateway closes gets a reset that discards the -429 in flight.
        deadline = time.monotonic() + 1.0
        rss_before = gateway.rss_bytes(self.gw.proc.pid)
        # Push as much as the gateway takes: 64 MiB if it never pushed back.
        while sent < (64 << 20) and time.monotonic() < deadline:
            if not pending:
                pending = c.codec.encode(chunk, False)
            try:
                n = c.sock.send(pending)
                sent += n
                pending = pending[n:]
            except BlockingIOError:
                time.sleep(0.01)
            except OSError:
                break
        self.assertLess(sent, 32 << 20, "the gateway kept reading a client of a stalled backend")
        rss_growth = gateway.rss_bytes(self.gw.proc.pid) - rss_before
        self.assertLess(rss_growth, 24 << 20, "RSS grew by %d bytes" % rss_growth)
        c.sock.setblocking(True)
        kinds = [u[0] if u[0] != "error" else u for u in c.wait_closed(timeout=10)]
        self.assertIn(("error", -429), kinds, kinds[-5:])
        counted = self.scrape()[0]
        self.assertGreaterEqual(counted["mtedge_socket_deadline_expired_total"], 1)
        self.assertEqual(counted["mtedge_socket_frames_to_backend_total"], 8)  # its credit


SOCKET_COUNTERS = ("frames_to_backend", "messages_from_backend", "down_outcomes",
                   "deadline_expired", "queue_overflows", "undelivered", "stream_failures",
                   "protocol_errors", "rebinds")


class Metrics(SocketCase):
    admin = True

    def test_counters_are_exported_and_move(self):
        before, text = self.scrape()
        for name in SOCKET_COUNTERS:
            metric = "mtedge_socket_%s_total" % name
            self.assertIn("# HELP %s " % metric, text)
            self.assertIn("# TYPE %s counter\n" % metric, text)
            self.assertIn(metric, before)
        c = self.client("abridged")
        for i in range(10):
            c.send(encrypted(0x66, 40, i))
            self.assertEqual(c.read_packet(), encrypted(0x66, 40, i))
        after = self.scrape()[0]
        sent = (after["mtedge_socket_frames_to_backend_total"] -
                before["mtedge_socket_frames_to_backend_total"])
        self.assertEqual(sent, 10)
        # Echoes plus the backend's credit grants.
        got = (after["mtedge_socket_messages_from_backend_total"] -
               before["mtedge_socket_messages_from_backend_total"])
        self.assertGreaterEqual(got, 10)
        for name in ("down_outcomes", "stream_failures", "protocol_errors", "undelivered"):
            metric = "mtedge_socket_%s_total" % name
            self.assertEqual(after[metric], 0, metric)


class UnixEndpoint(SocketCase):
    unix = True

    def test_round_trip(self):
        c = self.client("abridged")
        c.send(unencrypted(40, 5))
        self.assertEqual(c.read_packet(), unencrypted(40, 5))


if __name__ == "__main__":
    unittest.main()
