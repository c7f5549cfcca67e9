"""The events stream (docs/events.md): mtedge XADDs connection_opened / connection_closed
events and periodic counters to a capped Redis Stream on a real redis-server started here.
Clients are served the same while Redis is dead (the events are dropped and counted) and the
events flow again once it is back. Skipped only when redis-server is not installed."""
import re
import socket
import time
import unittest
import urllib.request

from base import HERE  # noqa: F401  (puts support/ on the import path)
from support import gateway, net, redis_server
from support.client import Client
from support.upstream import Upstream, answer_for

STREAM = "{itest}:events"
MAXLEN = 40


@unittest.skipUnless(redis_server.installed(), "redis-server not installed")
class EventsStream(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Stream nodes of 5 entries: MAXLEN ~ then trims to within 5 of maxlen.
        cls.redis = redis_server.RedisServer("--stream-node-max-entries", "5").start()
        cls.upstream = Upstream()
        cls.port = net.free_port()
        cls.proxied_port = net.free_port()
        cls.admin_port = net.free_port()
        extra_listener = f"""
[[listener]]
name = "balanced"
address = "127.0.0.1:{cls.proxied_port}"
transports = ["intermediate"]
proxy_protocol = true
proxy_trusted = ["127.0.0.0/8"]
"""
        config = gateway.relay_config(cls.port, cls.upstream.address, workers=2,
                                      extra_listener=extra_listener) + f"""
[admin]
address = "127.0.0.1:{cls.admin_port}"

[redis]
address = "{cls.redis.address}"
command_timeout_ms = 300
connect_timeout_ms = 300
reconnect_min_ms = 20
reconnect_max_ms = 200

[events]
sink = "redis"
stream = "{STREAM}"
maxlen = {MAXLEN}
counters_interval_ms = 200
gateway_id = "itest-gw"
"""
        cls.gw = gateway.Gateway(config, cls.port)
        try:
            cls.gw.start()
        except Exception:
            cls.upstream.close()
            cls.redis.close()
            raise

    @classmethod
    def tearDownClass(cls):
        code = cls.gw.stop()
        cls.upstream.close()
        cls.redis.close()
        if code != 0:
            raise AssertionError("mtedge exited with %s:\n%s" % (code, cls.gw.output()[-5000:]))

    def setUp(self):
        if self.redis.proc is None:
            self.redis.start()

    def serve_one(self, port=None, header=b""):
        """One client: (PROXY header,) a packet, its answer, close. Returns its local port."""
        payload = b"\x00" * 8 + b"EVENTTST" + b"\x01" * 8
        c = Client(port or self.port, "intermediate")
        try:
            local_port = c.sock.getsockname()[1]
            if header:
                c.send_raw(header)
            c.send(payload)
            self.assertEqual(c.read_packet(), answer_for(payload))
        finally:
            c.close()
        return local_port

    def events_of(self, client, count=2, timeout=10.0):
        """The events whose client field is `client`, once there are `count` of them."""
        deadline = time.time() + timeout
        found = []
        while time.time() < deadline:
            found = [f for _, f in self.redis.entries(STREAM) if f.get("client") == client]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        self.fail("%d events for %s, wanted %d: %r" % (len(found), client, count, found))

    def dropped(self):
        """mtedge_events_dropped_total summed over the reasons."""
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.admin_port,
                                    timeout=5) as reply:
            text = reply.read().decode()
        return sum(int(v) for v in re.findall(r"^mtedge_events_dropped_total\{[^}]*\} (\d+)$",
                                              text, re.M))

    def closed_total(self):
        """mtedge_connections_closed_total summed over the reasons."""
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.admin_port,
                                    timeout=5) as reply:
            text = reply.read().decode()
        return sum(int(v) for v in re.findall(
            r"^mtedge_connections_closed_total\{[^}]*\} (\d+)$", text, re.M))

    def test_connections_that_never_reach_the_backend_write_no_event(self):
        closed_before = self.closed_total()
        scanners = []
        for payload in (b"", b"\xee", b"\xee\xee"):  # closed before detection
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            scanners.append("127.0.0.1:%d" % sock.getsockname()[1])
            if payload:
                sock.sendall(payload)
            sock.close()
        deadline = time.time() + 10
        while time.time() < deadline and self.closed_total() < closed_before + len(scanners):
            time.sleep(0.05)
        self.assertGreaterEqual(self.closed_total(), closed_before + len(scanners))
        # Clients served after the scanners closed: once their events are in, any scanner
        # event (queued before them on its worker) would be too.
        for _ in range(4):
            self.events_of("127.0.0.1:%d" % self.serve_one())
        time.sleep(0.3)
        # A scanner's event would lack `transport` (a later client may reuse its port).
        events = [f for _, f in self.redis.entries(STREAM) if f["type"] != "counters"]
        for event in events:
            self.assertIn("transport", event, event)
            if event["client"] in scanners:
                self.assertEqual(event["transport"], "intermediate", event)

    def test_opened_and_closed_events_describe_the_connection(self):
        client = "127.0.0.1:%d" % self.serve_one()
        opened, closed = self.events_of(client)
        for event in (opened, closed):
            self.assertEqual(event["v"], "1")
            self.assertEqual(event["gateway"], "itest-gw")
            self.assertIn(event["worker"], ("0", "1"))
            self.assertEqual(event["listener"], "test")
            self.assertEqual(event["transport"], "intermediate")
            self.assertEqual(event["proxied"], "0")
            self.assertEqual(event["tls"], "0")
            self.assertNotIn("secret", event)
            self.assertGreater(int(event["ts_ms"]), 1_600_000_000_000)
        self.assertEqual(opened["type"], "connection_opened")
        self.assertEqual(closed["type"], "connection_closed")
        self.assertEqual(opened["conn"], closed["conn"])
        self.assertEqual(opened["worker"], closed["worker"])
        self.assertEqual(closed["reason"], "peer_closed")
        self.assertEqual(int(closed["bytes_in"]), 4 + 4 + 24)  # tag, length, payload
        self.assertEqual(int(closed["bytes_out"]), 4 + len(answer_for(b"\x00" * 24)))
        self.assertGreaterEqual(int(closed["duration_ms"]), 0)

    def test_a_proxy_header_names_the_real_client(self):
        header = b"PROXY TCP4 198.51.100.20 198.51.100.1 41000 443\r\n"
        self.serve_one(self.proxied_port, header)
        opened, closed = self.events_of("198.51.100.20:41000")
        self.assertEqual(opened["listener"], "balanced")
        self.assertEqual(opened["proxied"], "1")
        self.assertEqual(closed["proxied"], "1")

    def test_counters_are_written_periodically(self):
        deadline = time.time() + 10
        counters = []
        while time.time() < deadline and len(counters) < 2:
            counters = [f for _, f in self.redis.entries(STREAM) if f["type"] == "counters"]
            time.sleep(0.05)
        self.assertGreaterEqual(len(counters), 2)
        last = counters[-1]
        self.assertEqual(last["worker"], "0")
        for field in ("accepted", "active", "closed", "closed.peer_closed", "bytes_in",
                      "bytes_out", "frames_in", "frames_out", "events_written",
                      "events_dropped.backlog", "events_dropped.failed"):
            self.assertRegex(last[field], r"^\d+$", field)

    def test_the_stream_stays_capped(self):
        for _ in range(40):  # 80 connection events, and counters
            self.serve_one()
        deadline = time.time() + 10
        while time.time() < deadline and self.redis.call("XLEN", STREAM) < MAXLEN:
            time.sleep(0.05)
        length = self.redis.call("XLEN", STREAM)
        self.assertGreaterEqual(length, MAXLEN)
        self.assertLessEqual(length, MAXLEN + 5)
        added = int(dict(zip(*[iter(self.redis.call("XINFO", "STREAM", STREAM))] * 2))
                    ["entries-added"])
        self.assertGreater(added, 80)

    def test_clients_are_served_while_redis_is_dead(self):
        self.serve_one()
        dropped_before = self.dropped()
        self.redis.kill()
        started = time.time()
        for _ in range(10):
            self.serve_one()  # served as usual
        self.assertLess(time.time() - started, 5)
        deadline = time.time() + 10
        while time.time() < deadline and self.dropped() < dropped_before + 20:
            time.sleep(0.05)
        self.assertGreaterEqual(self.dropped(), dropped_before + 20)  # 10 opened + 10 closed

        self.redis.start()  # the same port, empty
        deadline = time.time() + 15
        while time.time() < deadline:
            client = "127.0.0.1:%d" % self.serve_one()
            events = [f for _, f in self.redis.entries(STREAM) if f.get("client") == client]
            if events:
                break
            time.sleep(0.1)
        self.events_of(client)  # both of the client's events arrived
        self.assertTrue(self.gw.alive())


if __name__ == "__main__":
    unittest.main()
