"""The embedded messenger with GramJS, the Node MTProto client (npm `telegram`, GRAMJS_VERSION,
API layer 193, one of the layers the backend answers in), against conf/mtedge.toml: three stock
GramJS TelegramClients sign in with test numbers through client.start() (sign-up included),
find each other by username and by phone, exchange messages that their NewMessage handlers
see live, form a basic group of the three in which each hears the other two, the creator
kicks the third (who gets nothing more and may not write), and a block keeps the blocked
one's message from arriving. Over GramJS's default transport in Node (TCP full), obfuscated2
over TCP, and its browser transport (obfuscated2 inside WebSocket, /apiws).

The scenario is node/gramjs_messenger.js; it prints what it observed as JSON and this test
asserts. GramJS comes from $MTEDGE_NODE_DIR (.cache/node, where `make test` installs it with
npm); if it is missing there the test installs it, and fails naming the step if npm cannot.
"""
import json
import os
import subprocess
import unittest

import rsa

import base  # noqa: F401  (puts support/ on the path)
from support.node import node_modules
from telethon.crypto import rsa as telethon_rsa
from test_messenger import CODE, MessengerCase

HERE = os.path.dirname(os.path.abspath(__file__))
GRAMJS_VERSION = "2.26.16"  # keep in step with the Makefile


def public_key(private_pem):
    """n, e and the MTProto fingerprint of the server key in PEM file `private_pem`."""
    public = subprocess.run(["openssl", "rsa", "-in", private_pem, "-RSAPublicKey_out"],
                            check=True, capture_output=True, text=True).stdout
    key = rsa.PublicKey.load_pkcs1(public.encode())
    return {"n": str(key.n), "e": key.e,
            "fingerprint": str(telethon_rsa._compute_fingerprint(key))}


class GramJSMessenger(MessengerCase):
    @classmethod
    def setUpClass(cls):
        cls.modules = node_modules("telegram", GRAMJS_VERSION)
        super().setUpClass()

    def scenario(self, transport, phones, tag):
        args = {"port": self.port, "transport": transport, "code": CODE, "phones": phones,
                "tag": tag, "rsa": public_key(self.rsa_key)}
        p = subprocess.run(["node", os.path.join(HERE, "node", "gramjs_messenger.js"),
                            json.dumps(args)],
                           capture_output=True, text=True, timeout=90,
                           env=dict(os.environ, NODE_PATH=self.modules))
        self.assertEqual(p.returncode, 0, p.stderr)
        # GramJS prints to stdout too: the script's answer is its last RESULT line.
        lines = [line for line in p.stdout.splitlines() if line.startswith("RESULT ")]
        self.assertTrue(lines, "no RESULT line:\n%s\n%s" % (p.stdout[-4000:], p.stderr[-4000:]))
        result = json.loads(lines[-1][len("RESULT "):])
        self.assertTrue(result["ok"], "%s\n%s" % (json.dumps(result, indent=1), p.stderr[-4000:]))
        # GramJS logs what went wrong inside it (a failed connection, an update it could not
        # read) at ERROR: nothing of that kind.
        self.assertNotIn("[ERROR]", p.stdout)
        return result

    def check(self, result, phones):
        a, b, c = result["signed_in"]
        self.assertEqual([(u["phone"], u["first_name"]) for u in result["signed_in"]],
                         list(zip((p.lstrip("+") for p in phones), ("Ada", "Bo", "Cy"))))
        self.assertEqual(result["by_username"], [b["id"], c["id"]])
        self.assertEqual(result["by_phone"], a["id"])
        self.assertEqual(result["live"], [
            {"chat": a["id"], "sender": a["id"], "text": "hello bo"},
            {"chat": b["id"], "sender": b["id"], "text": "hi ada"},
            {"chat": a["id"], "sender": a["id"], "text": "bold move"},
        ])
        self.assertEqual(result["history_b"], [
            {"out": False, "text": "bold move"},
            {"out": True, "text": "hi ada"},
            {"out": False, "text": "hello bo"},
        ])
        self.assertEqual(result["group"]["participants"], 3)
        chat = result["chat_id"]
        said = {"a": (a["id"], "group one"), "b": (b["id"], "group two"),
                "c": (c["id"], "group three")}
        for me, seen in result["group_seen"].items():
            self.assertEqual(seen, [{"chat": chat, "sender": sender, "text": text}
                                    for who, (sender, text) in said.items() if who != me], me)
        self.assertEqual(result["after_kick_b"],
                         [{"chat": chat, "sender": a["id"], "text": "after the kick"}])
        self.assertEqual(result["kicked_send"], "CHAT_WRITE_FORBIDDEN")
        self.assertEqual(result["blocked"], [a["id"]])
        # The blocked message was sent (Ada got an id) but never reached Bo.
        self.assertGreater(result["blocked_send_id"], 0)
        self.assertEqual(result["after_unblock_b"],
                         [{"chat": a["id"], "sender": a["id"], "text": "after unblock"}])
        self.assertEqual(result["blocked_after_unblock"], 0)
        self.assertEqual(result["left_over"], {"a": [], "b": [], "c": []})

    def check_transport(self, transport, phones, tag, detected):
        """Runs the scenario over `transport`; the server's detector saw the three clients'
        connections as `detected` (a WebSocket starts as HTTP) and none as another of the
        kinds GramJS could have used."""
        kinds = ("full", "obfuscated", "http")
        samples = {k: 'mtedge_detections_total{transport="%s"}' % k for k in kinds}
        before = {k: self.metric(samples[k]) for k in kinds}
        self.check(self.scenario(transport, phones, tag), phones)
        grew = {k: self.metric(samples[k]) - before[k] for k in kinds}
        self.assertGreaterEqual(grew.pop(detected), 3)
        self.assertEqual(grew, {k: 0 for k in grew})

    def test_default_tcp_transport(self):
        self.check_transport("tcp", ["+9996621201", "+9996621202", "+9996621203"], "tcp", "full")

    def test_obfuscated_transport(self):
        self.check_transport("obfuscated", ["+9996621221", "+9996621222", "+9996621223"], "obf",
                             "obfuscated")

    def test_websocket_transport(self):
        self.check_transport("websocket", ["+9996621211", "+9996621212", "+9996621213"], "ws",
                             "http")


if __name__ == "__main__":
    unittest.main()
