"""Node's `ws` package, an independent WebSocket client, against the real mtedge binary:
- relay backend: obfuscated2 + intermediate inside binary messages, the `binary`
  subprotocol echoed, one transport packet per message, up to a 300 KiB packet;
- embedded default over ws:// and wss:// (a `tls = true` listener with a certificate made
  by the test): Telethon's stock client with its obfuscated2 abridged connection, carried
  by a TCP->WebSocket bridge on `ws` (node/ws_bridge.js), does the DH handshake,
  help.getConfig and a ping.

`ws` comes from $MTEDGE_NODE_DIR (.cache/node, where `make test` installs it with npm);
if it is missing there the test installs it, and fails naming the step if npm cannot.
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from base import GatewayTestCase
from support import gateway, net
from support.node import node_modules
from telethon.network import connection as tc
from test_embedded import ADVERTISED_IP, ADVERTISED_PORT, EmbeddedCase
from test_tls import make_cert

HERE = os.path.dirname(os.path.abspath(__file__))
WS_VERSION = "8.18.0"  # keep in step with the Makefile


class NodeWsClient(GatewayTestCase):
    config_kw = dict(transports=("websocket",))

    @classmethod
    def setUpClass(cls):
        cls.modules = node_modules("ws", WS_VERSION)
        super().setUpClass()

    def run_client(self, path):
        p = subprocess.run(["node", os.path.join(HERE, "node", "ws_client.js"), str(self.port), path],
                           capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, NODE_PATH=self.modules))
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout.strip().splitlines()[-1])

    def test_round_trips(self):
        for path in ("/apiws", "/apiws_test"):
            with self.subTest(path=path):
                result = self.run_client(path)
                self.assertIsNone(result["error"])
                self.assertTrue(result["ok"], result)
                self.assertEqual(result["protocol"], "binary")
                self.assertEqual(result["answers"], 4)
                self.assertEqual(result["messages"], 4)  # one packet per message


class TelethonThroughNodeWs(EmbeddedCase):
    @classmethod
    def setUpClass(cls):
        cls.modules = node_modules("ws", WS_VERSION)
        super().setUpClass()
        cls.cert_dir = tempfile.mkdtemp(prefix="mtedge-wss-")
        cls.cert, cls.key = make_cert(cls.cert_dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.cert_dir, ignore_errors=True)
        super().tearDownClass()

    def bridge(self, url):
        port = net.free_port()
        proc = subprocess.Popen(["node", os.path.join(HERE, "node", "ws_bridge.js"), str(port), url],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                env=dict(os.environ, NODE_PATH=self.modules))
        self.addCleanup(proc.stdout.close)
        self.addCleanup(proc.wait)
        self.addCleanup(proc.kill)
        self.assertEqual(proc.stdout.readline().strip(), "ready")
        return port

    def scenario(self, scheme, extra_listener):
        port = net.free_port()
        gw = gateway.Gateway(gateway.embedded_config(
            port, self.rsa_key, self.key_file, ADVERTISED_IP, ADVERTISED_PORT, log_level="debug",
            transports=("websocket",), extra_listener=extra_listener), port)
        gw.start()
        try:
            bridge_port = self.bridge("%s://127.0.0.1:%d/apiws" % (scheme, port))
            self.check_client(bridge_port, tc.ConnectionTcpObfuscated)
        finally:
            output = self.stop_gateway(gw)
        self.assertIn("transport websocket/obfuscated/abridged", output)

    def test_ws(self):
        self.scenario("ws", "")

    def test_wss(self):
        self.scenario("wss", 'tls = true\ntls_cert_file = "%s"\ntls_key_file = "%s"\n'
                      % (self.cert, self.key))


if __name__ == "__main__":
    unittest.main()
