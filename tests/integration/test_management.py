"""The management API of the real mtedge binary (relay backend, raw TCP clients): listing
and closing connections by address and transport while others stay up, the bearer token,
the address allow-list, and POST /v1/drain."""
import http.client
import json
import re
import time
import unittest

from base import GatewayTestCase
from support import net
from support.client import Client
from support.upstream import answer_for

TOKEN = "itest-token-0123456789"
ADMIN_PEER = "127.0.0.2"  # the only address admin.allow admits


def admin_request(port, method, target, token=TOKEN, source=ADMIN_PEER):
    """(status, headers, body text) of one management request from `source`."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                      source_address=(source, 0))
    try:
        headers = {"Authorization": "Bearer " + token} if token else {}
        conn.request(method, target, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


class AdminTestCase(GatewayTestCase):
    """The gateway with [admin] on `admin_port`, which binds after the listeners."""
    admin_port = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not net.wait_for_port("127.0.0.1", cls.admin_port, 10, alive=cls.gw.alive):
            raise RuntimeError("no management API on %d:\n%s" % (cls.admin_port, cls.gw.output()))


class ManagementApi(AdminTestCase):
    admin_port = net.free_port()
    config_kw = {
        "workers": 2,
        "extra_log": "access = true",
        "admin": 'address = "127.0.0.1:%d"\ntoken = "%s"\nallow = ["%s/32"]\n'
                 % (admin_port, TOKEN, ADMIN_PEER),
    }

    def api(self, method, target, **kw):
        status, _, body = admin_request(self.admin_port, method, target, **kw)
        return status, (json.loads(body) if body.strip().startswith("{") else body)

    def client(self, transport, source=None, seed=1):
        c = Client(self.port, transport, seed=seed, source=source)
        self.addCleanup(c.close)
        payload = bytes(range(32))
        c.send(payload)
        self.assertEqual(c.read_packet(), answer_for(payload))
        return c

    def test_lists_connections_of_every_worker(self):
        clients = [self.client("abridged", seed=i) for i in range(3)]
        clients.append(self.client("intermediate", source="127.0.0.3"))
        status, listed = self.api("GET", "/v1/connections?listener=test")
        self.assertEqual(status, 200, listed)
        self.assertEqual(listed["workers"], 2)
        self.assertEqual(listed["workers_answered"], 2)
        mine = {c.sock.getsockname()[1] for c in clients}
        rows = [r for r in listed["connections"] if int(r["client"].rsplit(":", 1)[1]) in mine]
        self.assertEqual(len(rows), 4, listed)
        for row in rows:
            self.assertEqual(row["listener"], "test")
            self.assertIn(row["transport"], ("abridged", "intermediate"))
            self.assertGreater(row["bytes_in"], 0)
            self.assertGreater(row["bytes_out"], 0)
            self.assertIn(row["worker"], (0, 1))
        status, by_ip = self.api("GET", "/v1/connections?ip=127.0.0.3")
        self.assertEqual(by_ip["matched"], 1, by_ip)
        self.assertEqual(by_ip["connections"][0]["transport"], "intermediate")
        status, limited = self.api("GET", "/v1/connections?limit=1")
        self.assertEqual(len(limited["connections"]), 1)

    def test_kill_by_transport_closes_only_those(self):
        victims = [self.client("full", seed=i) for i in range(2)]
        survivor = self.client("abridged")
        status, answer = self.api("DELETE", "/v1/connections?transport=full")
        self.assertEqual(status, 200, answer)
        self.assertEqual(answer["closed"], 2)
        for c in victims:
            c.wait_closed()
        payload = b"still-here" * 4
        survivor.send(payload)
        self.assertEqual(survivor.read_packet(), answer_for(payload))
        deadline = time.monotonic() + 5
        while "reason=admin_kill" not in self.gw.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertRegex(self.gw.output(), r"access: listener=test .*transport=full.* "
                                           r"reason=admin_kill")

    def test_kill_by_ip(self):
        victim = self.client("intermediate", source="127.0.0.4")
        survivor = self.client("intermediate", source="127.0.0.5")
        status, answer = self.api("DELETE", "/v1/connections?ip=127.0.0.4")
        self.assertEqual((status, answer["closed"]), (200, 1), answer)
        victim.wait_closed()
        survivor.send(b"x" * 16)
        self.assertEqual(survivor.read_packet(), answer_for(b"x" * 16))
        status, metrics = self.api("GET", "/metrics")
        self.assertEqual(status, 200)
        killed = re.search(r'mtedge_connections_closed_total\{reason="admin_kill"\} (\d+)', metrics)
        self.assertIsNotNone(killed, metrics)
        self.assertGreaterEqual(int(killed.group(1)), 1)

    def test_delete_needs_a_filter(self):
        status, answer = self.api("DELETE", "/v1/connections")
        self.assertEqual(status, 400)
        self.assertEqual(answer["error"], "filter_required")

    def test_token_is_required_on_v1_only(self):
        status, headers, body = admin_request(self.admin_port, "GET", "/v1/info", token=None)
        self.assertEqual(status, 401)
        self.assertEqual(headers.get("WWW-Authenticate"), "Bearer")
        self.assertEqual(json.loads(body)["error"], "unauthorized")
        self.assertEqual(admin_request(self.admin_port, "GET", "/v1/info", token="nope")[0], 401)
        self.assertEqual(admin_request(self.admin_port, "GET", "/health", token=None)[0], 200)
        self.assertEqual(admin_request(self.admin_port, "GET", "/ready", token=None)[0], 200)

    def test_info(self):
        status, info = self.api("GET", "/v1/info")
        self.assertEqual(status, 200, info)
        self.assertEqual(info["workers"], 2)
        self.assertEqual(info["backend"], "relay")
        self.assertEqual(info["config"]["path"], self.gw.config_path)
        self.assertRegex(info["config"]["sha256"], r"^[0-9a-f]{64}$")
        self.assertEqual(info["listeners"][0]["address"], "127.0.0.1:%d" % self.port)
        self.assertIn("abridged", info["listeners"][0]["transports"])
        self.assertGreaterEqual(info["uptime_seconds"], 0)

    def test_other_addresses_are_closed_at_accept(self):
        # Closed before the request is read: no answer, the client sees a reset or EOF.
        with self.assertRaises((ConnectionError, http.client.HTTPException)):
            admin_request(self.admin_port, "GET", "/metrics", source="127.0.0.1")
        metrics = admin_request(self.admin_port, "GET", "/metrics")[2]
        refused = re.search(r'mtedge_admin_refused_total\{reason="forbidden"\} (\d+)', metrics)
        self.assertGreaterEqual(int(refused.group(1)), 1, metrics)


class ManagementDrain(AdminTestCase):
    """On every address, with no token (the default allow-list still admits loopback only)."""
    admin_port = net.free_port()
    config_kw = {"admin": 'address = "0.0.0.0:%d"' % admin_port}

    def tearDown(self):
        pass  # the gateway is meant to exit here

    def test_drain_stops_the_gateway_like_sigterm(self):
        self.assertEqual(admin_request(self.admin_port, "GET", "/ready", source="127.0.0.1")[0],
                         200)
        status, _, body = admin_request(self.admin_port, "POST", "/v1/drain", token=None,
                                        source="127.0.0.1")
        self.assertEqual(status, 202, body)
        # Until the process is gone, health and readiness answer 503.
        try:
            for path in ("/health", "/ready"):
                self.assertEqual(admin_request(self.admin_port, "GET", path, token=None,
                                               source="127.0.0.1")[0], 503)
        except ConnectionError:
            pass
        self.assertEqual(self.gw.proc.wait(15), 0)
        self.assertIn("is not loopback and admin.token is not set", self.gw.output())
        self.assertIn("is not loopback but admin.allow admits only loopback addresses",
                      self.gw.output())
        self.assertIn("drain requested through the management API", self.gw.output())


if __name__ == "__main__":
    unittest.main()
