"""Node's `ws` package, an independent WebSocket client, against the real mtedge binary
(relay backend): obfuscated2 + intermediate inside binary messages, the `binary`
subprotocol echoed, one transport packet per message, up to a 300 KiB packet.

`ws` is installed with npm into $MTEDGE_NODE_DIR (the build tree) on first use; the test
fails, naming the step, if npm cannot install it.
"""
import json
import os
import subprocess
import unittest

from base import GatewayTestCase
from support import gateway

HERE = os.path.dirname(os.path.abspath(__file__))
WS_VERSION = "8.18.0"


def node_modules():
    root = os.environ.get("MTEDGE_NODE_DIR") or os.path.join(HERE, "..", "..", "build", "node")
    modules = os.path.join(root, "node_modules")
    if not os.path.isdir(os.path.join(modules, "ws")):
        os.makedirs(root, exist_ok=True)
        p = subprocess.run(["npm", "install", "--prefix", root, "--no-audit", "--no-fund",
                            "--loglevel=error", "ws@" + WS_VERSION],
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            raise RuntimeError("npm install ws@%s failed:\n%s%s" % (WS_VERSION, p.stdout, p.stderr))
    return modules


class NodeWsClient(GatewayTestCase):
    config_kw = dict(transports=("websocket",))

    @classmethod
    def setUpClass(cls):
        cls.modules = node_modules()
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


if __name__ == "__main__":
    unittest.main()
