"""The WebSocket transport (docs/spec/wire-notes.md §5) through the real mtedge binary with the relay
backend: the upgrade on /apiws*, obfuscated2 with each inner transport inside binary
messages, one transport packet per message, ping/pong, the close handshake, transport
errors as close 1000 + the code, and the HTTP refusals around the upgrade.

The client side (support/websocket.py, support/obfuscation.py) is written from RFC 6455
and docs/spec/wire-notes.md, independently of the C++ codecs.
"""
import unittest

from base import GatewayTestCase
from support import gateway
from support.client import Client
from support.obfuscation import Obfuscated2
from support.upstream import answer_for, token_for
from support import websocket as ws

TRANSPORTS = gateway.PLAIN_TRANSPORTS + ("obfuscated", "websocket")


def payload(size, seed):
    return bytes((seed + i * 7) & 0xFF for i in range(size))


class WebSocketRelay(GatewayTestCase):
    config_kw = dict(transports=TRANSPORTS, log_level="debug")

    def client(self, inner="abridged", path="/apiws", protocol="binary"):
        stream = ws.WebSocketStream(Obfuscated2(inner, dc=2), path=path, protocol=protocol)
        c = Client(self.port, inner, stream=stream)
        self.addCleanup(c.close)
        return c, stream

    def check_answer(self, c, data, got):
        if c.codec.name == "padded":
            self.assertEqual(got[:4], b"ANS!")
            self.assertEqual(got[4:][::-1][:len(data)], data)
        else:
            self.assertEqual(got, answer_for(data))

    def round_trip(self, c, data, quick_ack=False):
        c.send(data, quick_ack)
        if quick_ack:
            unit = c.read_unit()
            self.assertEqual(unit[:2], ("ack", token_for(data)))
        self.check_answer(c, data, c.read_packet())

    def test_each_inner_transport_and_path(self):
        for inner, path in (("abridged", "/apiws"), ("intermediate", "/apiws_test"),
                            ("padded", "/apiws_premium")):
            with self.subTest(inner=inner):
                c, stream = self.client(inner, path)
                self.assertEqual(stream.reply_headers.get("sec-websocket-protocol"), "binary")
                self.round_trip(c, payload(64, 1))
                self.round_trip(c, payload(4096, 2), quick_ack=True)
                # Larger than one fragment (512 KiB): one message in several frames.
                self.round_trip(c, payload(700 * 1024, 3))
        self.assertIn("transport websocket/obfuscated/padded", self.gw.output())

    def test_one_transport_packet_per_message(self):
        c, stream = self.client("intermediate")
        sizes = [16, 300, 5000, 64]
        # All in one client message: the answers still come one per server message.
        c.sock.sendall(stream.outbound(b"".join(c.codec.encode(payload(n, n), False)
                                                for n in sizes)))
        for n in sizes:
            self.check_answer(c, payload(n, n), c.read_packet())
        # intermediate: 4-byte length + answer (4 + n bytes) per message, nothing merged.
        self.assertEqual(stream.messages, [4 + 4 + n for n in sizes])

    def test_split_byte_by_byte(self):
        c, stream = self.client("abridged")
        data = payload(256, 5)
        c.send_split(c.frame_bytes(data), chunk=1, pause=0.0005)
        self.check_answer(c, data, c.read_packet())

    def test_ping_is_answered(self):
        c, stream = self.client("abridged")
        self.round_trip(c, payload(32, 6))
        c.sock.sendall(ws.frame(ws.OP_PING, b"are you there"))
        self.round_trip(c, payload(32, 7))  # the pong arrives before this answer
        self.assertEqual(stream.pongs, [b"are you there"])

    def test_ping_before_the_init(self):
        c, stream = self.client("abridged")
        c.sock.sendall(ws.frame(ws.OP_PING, b"early"))
        self.round_trip(c, payload(32, 8))
        self.assertEqual(stream.pongs, [b"early"])

    def test_client_close_is_answered(self):
        c, stream = self.client("abridged")
        self.round_trip(c, payload(32, 9))
        c.sock.sendall(ws.close_frame(1000, b"bye"))
        c.wait_closed()
        self.assertEqual(stream.closes, [(1000, "")])

    def test_short_packet_closes_with_the_error_code(self):
        c, stream = self.client("abridged")
        c.send(b"\x01\x02\x03\x04")  # shorter than an auth_key_id
        units = c.wait_closed()
        self.assertEqual([u[:2] for u in units], [("error", -404)])
        self.assertEqual(stream.closes, [(1000, "-404")])

    def test_unmasked_frame_is_a_protocol_error(self):
        c, stream = self.client("abridged")
        self.round_trip(c, payload(32, 10))
        c.sock.sendall(ws.frame(ws.OP_BINARY, b"\x00" * 8, mask=False))
        c.wait_closed()
        self.assertEqual(stream.closes, [(1002, "")])

    def test_text_frame_is_refused(self):
        c, stream = self.client("abridged")
        c.sock.sendall(ws.frame(ws.OP_TEXT, b"hello"))
        c.wait_closed()
        self.assertEqual(stream.closes, [(1003, "")])

    def test_no_subprotocol_offered(self):
        c, stream = self.client("abridged", protocol=None)
        self.assertNotIn("sec-websocket-protocol", stream.reply_headers)
        self.round_trip(c, payload(32, 11))

    def refused(self, request):
        sock = ws.connect_raw(self.port)
        self.addCleanup(sock.close)
        sock.sendall(request)
        status, headers, _ = ws.read_http_head(sock)
        return status, headers

    def test_bad_key_is_400(self):
        status, _ = self.refused(ws.upgrade_request("/apiws", "short"))
        self.assertEqual(status, 400)

    def test_bad_version_is_426(self):
        key = "dGhlIHNhbXBsZSBub25jZQ=="
        status, headers = self.refused(ws.upgrade_request("/apiws", key, version="8"))
        self.assertEqual(status, 426)
        self.assertEqual(headers.get("sec-websocket-version"), "13")

    def test_other_paths_are_refused(self):
        key = "dGhlIHNhbXBsZSBub25jZQ=="
        status, _ = self.refused(ws.upgrade_request("/index.html", key))
        self.assertEqual(status, 501)

    def test_post_is_404_when_http_is_not_served(self):
        status, headers = self.refused(
            b"POST /apiw1 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd")
        self.assertEqual(status, 404)
        self.assertEqual(headers.get("access-control-allow-origin"), "*")

    def test_bad_init_closes(self):
        sock = ws.connect_raw(self.port)
        self.addCleanup(sock.close)
        stream = ws.WebSocketStream(Obfuscated2("abridged"))
        stream.handshake(sock)
        sock.sendall(ws.frame(ws.OP_BINARY, b"\xef" * 64))  # abridged tag: not an init
        sock.settimeout(5)
        try:
            while sock.recv(4096):
                pass
        except ConnectionResetError:
            pass


class WebSocketNotListed(GatewayTestCase):
    """A listener without "websocket" does not take HTTP at all."""

    config_kw = dict(transports=gateway.PLAIN_TRANSPORTS, log_level="debug")

    def test_upgrade_is_not_answered(self):
        sock = ws.connect_raw(self.port)
        self.addCleanup(sock.close)
        sock.sendall(ws.upgrade_request("/apiws", "dGhlIHNhbXBsZSBub25jZQ=="))
        sock.settimeout(5)
        self.assertEqual(sock.recv(4096), b"")  # closed after the reject delay, no reply


if __name__ == "__main__":
    unittest.main()
