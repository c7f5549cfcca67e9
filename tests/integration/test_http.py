"""MTProto over HTTP POST through the relay (the compatibility case: an HTTP client's packets
reach a TCP upstream and its answers come back as HTTP responses), with a raw socket client:
keep-alive, pipelining, the empty probe POST, the error statuses (CORS on web paths), the
gateway's max wait for a request nobody answers (200, empty body), and routing by auth key
(an upstream packet for a connection with no waiting request answers the long poll another
connection holds under the same auth_key_id, on any worker).
"""
import re
import socket
import time

from base import GatewayTestCase
from support import websocket as ws
from support.upstream import answer_for, pushed_for

CORS = "access-control-allow-origin"


def post(path, body, extra=b""):
    return (b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n" +
            extra + b"Content-Length: %d\r\n\r\n" % len(body) + body)


def packet(seed, size=40):
    """An MTProto-looking payload: a non-zero auth_key_id, then bytes."""
    return bytes([seed] * 8) + bytes((seed + i) & 0xFF for i in range(size - 8))


def read_response(sock, rest=b"", timeout=10.0):
    """(status, headers, body, rest) of one response with Content-Length."""
    status, headers, rest = ws.read_http_head(sock, timeout, rest)
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed during a body")
        rest += chunk
    return status, headers, rest[:length], rest[length:]


class HttpThroughRelay(GatewayTestCase):
    config_kw = dict(transports=("intermediate", "http"), log_level="debug",
                     extra_gateway="http_max_wait_ms = 1000")

    def connect(self):
        sock = ws.connect_raw(self.port)
        self.addCleanup(sock.close)
        return sock

    def test_keep_alive(self):
        sock = self.connect()
        for seed in (1, 2, 3):
            sock.sendall(post(b"/api", packet(seed)))
            status, headers, body, rest = read_response(sock)
            self.assertEqual((status, body, rest), (200, answer_for(packet(seed)), b""))
            self.assertEqual(headers["connection"], "keep-alive")
            self.assertEqual(headers["content-type"], "application/octet-stream")
            self.assertNotIn(CORS, headers)

    def test_pipelined_requests_answered_in_order(self):
        sock = self.connect()
        sock.sendall(b"".join(post(b"/apiw1", packet(seed, 40 + seed * 4))
                              for seed in range(1, 6)))
        rest = b""
        for seed in range(1, 6):
            status, headers, body, rest = read_response(sock, rest)
            self.assertEqual(status, 200)
            self.assertEqual(body, answer_for(packet(seed, 40 + seed * 4)))
            self.assertEqual(headers[CORS], "*")

    def test_probe_then_packet(self):
        sock = self.connect()
        sock.sendall(post(b"/apiw1", b""))
        status, headers, body, _ = read_response(sock)
        self.assertEqual((status, body), (200, b""))
        self.assertEqual(headers[CORS], "*")
        sock.sendall(post(b"/apiw1", packet(9)))
        status, _, body, _ = read_response(sock)
        self.assertEqual((status, body), (200, answer_for(packet(9))))

    def test_unanswered_request_gets_empty_body_after_max_wait(self):
        sock = self.connect()
        start = time.monotonic()
        sock.sendall(post(b"/api", b"QUIE" + packet(3)))  # the upstream answers nothing
        status, _, body, _ = read_response(sock)
        self.assertEqual((status, body), (200, b""))
        self.assertGreaterEqual(time.monotonic() - start, 0.9)
        sock.sendall(post(b"/api", packet(4)))  # the connection is still usable
        self.assertEqual(read_response(sock)[2], answer_for(packet(4)))

    def test_upstream_transport_error_is_its_status(self):
        sock = self.connect()
        sock.sendall(post(b"/apiw1", b"ERR4" + packet(2)))
        status, headers, body, _ = read_response(sock)
        self.assertEqual((status, body, headers["connection"], headers[CORS]),
                         (404, b"", "close", "*"))

    def test_short_packet_is_404_and_close(self):
        sock = self.connect()
        sock.sendall(post(b"/api", b"abcd"))
        status, headers, _, _ = read_response(sock)
        self.assertEqual((status, headers["connection"]), (404, "close"))

    def expect_error(self, request, status, cors):
        sock = self.connect()
        sock.sendall(request)
        got, headers, _ = ws.read_http_head(sock)
        self.assertEqual(got, status, request[:60])
        self.assertEqual(headers.get(CORS) == "*", cors, request[:60])
        self.assertEqual(headers.get("connection"), "close")

    def test_error_statuses(self):
        self.expect_error(post(b"/other", packet(1)), 404, False)
        self.expect_error(b"POST /apiw1 HTTP/1.1\r\nHost: x\r\n\r\n", 411, True)
        self.expect_error(b"POST /apiw1 HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n",
                          413, True)
        self.expect_error(b"POST /apiw1" + b"x" * 600 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, True)
        self.expect_error(b"POST /apiw1 HTTP/1.1\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431, True)
        self.expect_error(b"GET /apiw1 HTTP/1.1\r\nHost: x\r\n\r\n", 501, True)
        self.expect_error(b"HEAD /api HTTP/1.1\r\nHost: x\r\n\r\n", 501, False)

    def test_options_preflight(self):
        sock = self.connect()
        sock.sendall(b"OPTIONS /apiw1 HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, body, _ = read_response(sock)
        self.assertEqual((status, body, headers[CORS]), (200, b"", "*"))
        sock.sendall(post(b"/apiw1", packet(7)))
        self.assertEqual(read_response(sock)[2], answer_for(packet(7)))

    def test_metrics_and_log_name_the_transport(self):
        sock = self.connect()
        sock.sendall(post(b"/api", packet(5)))
        read_response(sock)
        self.assertIn("transport http", self.gw.output())



class HttpRoutingByAuthKey(GatewayTestCase):
    config_kw = dict(transports=("http",), log_level="debug",
                     extra_gateway="http_max_wait_ms = 2000")
    keys = iter(range(1, 1 << 30))

    def connect(self):
        sock = ws.connect_raw(self.port)
        self.addCleanup(sock.close)
        return sock

    def key(self):
        return b"K" + next(self.keys).to_bytes(7, "little")

    def hold(self, key):
        """A connection whose POST the upstream never answers: a long poll under `key`."""
        poll = self.connect()
        poll.sendall(post(b"/api", key + b"HOLD" + bytes(28)))
        time.sleep(0.2)  # the poll waits at the gateway before anything else happens
        return poll

    def push(self, key):
        """A second connection's query under `key`: answered, then the upstream pushes a packet
        on that connection's upstream while it has no request waiting."""
        query = self.connect()
        body = key + b"PUSH" + bytes(range(28))
        query.sendall(post(b"/api", body))
        self.assertEqual(read_response(query)[:3:2], (200, answer_for(body)))
        return query, body

    def test_push_answers_the_long_poll_of_another_connection(self):
        # Connections land on either worker (SO_REUSEPORT): repeat until a packet was routed
        # across workers as well as within one.
        pattern = re.compile(r"conn (0x[0-9a-f]+) peer \S+: http packet routed to conn (0x[0-9a-f]+)")
        seen = set()
        for _ in range(40):
            key = self.key()
            poll = self.hold(key)
            query, body = self.push(key)
            self.assertEqual(read_response(poll)[:3:2], (200, pushed_for(body)))
            # Both connections stay usable.
            for sock in (poll, query):
                again = key + bytes(range(32))
                sock.sendall(post(b"/api", again))
                self.assertEqual(read_response(sock)[:3:2], (200, answer_for(again)))
            seen = {int(a, 16) >> 48 == int(b, 16) >> 48
                    for a, b in pattern.findall(self.gw.output())}
            if seen == {True, False}:
                break
        self.assertEqual(seen, {True, False}, "no route both within and across workers")

    def test_same_key_from_another_source_gets_nothing(self):
        # Edge decryption is off: the auth_key_id is not verified, so a connection from
        # another address that claims a victim's key must not receive the victim's packets.
        key = self.key()
        thief = socket.create_connection(("127.0.0.1", self.port), timeout=10,
                                         source_address=("127.0.0.2", 0))
        self.addCleanup(thief.close)
        thief.sendall(post(b"/api", key + b"HOLD" + bytes(28)))
        time.sleep(0.2)
        query, body = self.push(key)
        self.assertEqual(read_response(thief)[:3:2], (200, b""))  # released after max wait
        # The push waited on the victim's own connection.
        query.sendall(post(b"/api", key + b"HOLD" + bytes(28)))
        self.assertEqual(read_response(query)[:3:2], (200, pushed_for(body)))

    def test_other_auth_keys_poll_is_not_answered(self):
        poll = self.hold(self.key())
        query, body = self.push(self.key())
        self.assertEqual(read_response(poll)[:3:2], (200, b""))  # released after max wait
        # The push waited on its own connection: its next request takes it at once.
        query.sendall(post(b"/api", body[:8] + b"HOLD" + bytes(28)))
        self.assertEqual(read_response(query)[:3:2], (200, pushed_for(body)))

    def test_push_for_a_closed_poll_stays_with_its_connection(self):
        key = self.key()
        poll = self.hold(key)
        poll.close()
        time.sleep(0.2)
        query, body = self.push(key)
        time.sleep(0.5)  # the push arrives and is queued on the query's connection
        query.sendall(post(b"/api", key + b"HOLD" + bytes(28)))
        self.assertEqual(read_response(query)[:3:2], (200, pushed_for(body)))
