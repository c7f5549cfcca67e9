"""PROXY protocol listeners behind a load balancer: v1 and v2 headers from a trusted source
name the client (used by the access log and the per-source limit), the stream after the
header is relayed unchanged, untrusted sources and streams without a header are refused."""
import re
import socket
import struct
import time
import unittest

from base import HERE  # noqa: F401  (puts support/ on the import path)
from support import gateway, net
from support.upstream import Upstream, answer_for

V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def v1(source_ip, source_port, family="TCP4", destination="198.51.100.7"):
    return ("PROXY %s %s %s %d 443\r\n" % (family, source_ip, destination, source_port)).encode()


def v2_ipv6(source_ip, source_port):
    body = (socket.inet_pton(socket.AF_INET6, source_ip) +
            socket.inet_pton(socket.AF_INET6, "2001:db8::443") + struct.pack(">HH", source_port, 443))
    body += b"\x04\x00\x02hi"  # a NOOP TLV, skipped
    return V2_SIGNATURE + b"\x21\x21" + struct.pack(">H", len(body)) + body


def closed_by_peer(sock):
    """True once the gateway has closed `sock` (an orderly close or a reset)."""
    try:
        return sock.recv(100) == b""
    except ConnectionResetError:
        return True


def intermediate_packet(payload):
    return struct.pack("<I", len(payload)) + payload


def read_packet(sock):
    head = b""
    while len(head) < 4:
        chunk = sock.recv(4 - len(head))
        if not chunk:
            raise EOFError
        head += chunk
    (length,) = struct.unpack("<I", head)
    body = b""
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        if not chunk:
            raise EOFError
        body += chunk
    return body


class ProxyProtocol(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.upstream = Upstream()
        cls.port = net.free_port()
        config = gateway.relay_config(
            cls.port, cls.upstream.address, workers=1,
            extra_gateway="max_connections_per_source = 2",
            extra_listener='proxy_protocol = true\nproxy_trusted = ["127.0.0.0/8"]')
        config = config.replace('level = "info"', 'level = "info"\naccess = true')
        cls.gw = gateway.Gateway(config, cls.port)
        cls.gw.start()

    @classmethod
    def tearDownClass(cls):
        code = cls.gw.stop()
        cls.upstream.close()
        if code != 0:
            raise AssertionError("mtedge exited with %s:\n%s" % (code, cls.gw.output()[-5000:]))

    def wait_for(self, pattern):
        deadline = time.time() + 10
        while time.time() < deadline:
            found = re.search(pattern, self.gw.output())
            if found:
                return found
            time.sleep(0.05)
        self.fail("no line matching %r in:\n%s" % (pattern, self.gw.output()[-5000:]))

    def relay_one(self, header, split=False):
        """Sends `header` and an intermediate packet (byte by byte when `split`), checks
        the answer comes back, closes."""
        payload = b"\x00" * 8 + b"PROXYTST" + b"\x01" * 8
        stream = header + b"\xee\xee\xee\xee" + intermediate_packet(payload)
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            if split:
                for i in range(len(stream)):
                    s.sendall(stream[i:i + 1])
                    time.sleep(0.002)
            else:
                s.sendall(stream)
            self.assertEqual(read_packet(s), answer_for(payload))

    def test_v1_header_names_the_client(self):
        self.relay_one(v1("192.0.2.1", 49153))
        self.wait_for(r"access: listener=test client=192\.0\.2\.1:49153 transport=intermediate "
                      r"secret=- in=\d+ out=\d+ duration_ms=\d+ reason=\w+")

    def test_v1_header_split_byte_by_byte(self):
        self.relay_one(v1("192.0.2.2", 40000), split=True)
        self.wait_for(r"access: listener=test client=192\.0\.2\.2:40000 transport=intermediate")

    def test_v2_header_with_ipv6_client(self):
        self.relay_one(v2_ipv6("2001:db8::77", 50000))
        self.wait_for(r"access: listener=test client=\[2001:db8::77\]:50000 "
                      r"transport=intermediate")

    def test_v2_local_keeps_the_balancer_address(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            local_port = s.getsockname()[1]
            s.sendall(V2_SIGNATURE + b"\x20\x00\x00\x00")  # LOCAL: a health check
        self.wait_for(r"access: listener=test client=127\.0\.0\.1:%d transport=-" % local_port)

    def test_stream_without_header_is_closed_at_once(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            local_port = s.getsockname()[1]
            s.sendall(b"\xee\xee\xee\xee" + intermediate_packet(b"\x00" * 16))
            started = time.time()
            self.assertTrue(closed_by_peer(s))  # closed, nothing said
            self.assertLess(time.time() - started, 3)
        self.wait_for(r"access: listener=test client=127\.0\.0\.1:%d transport=- secret=- in=24 "
                      r"out=0 duration_ms=\d+ reason=protocol_error" % local_port)

    def test_per_source_limit_counts_the_named_client(self):
        sockets = []
        try:
            for _ in range(2):
                s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                s.sendall(v1("203.0.113.9", 1000 + len(sockets)))
                sockets.append(s)
            time.sleep(0.3)
            third = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            sockets.append(third)
            third.sendall(v1("203.0.113.9", 2000))
            self.assertTrue(closed_by_peer(third))  # refused: the client's third connection
            # (The warn line is rate-limited across tests; the access line is per connection.)
            self.wait_for(r"access: listener=test client=203\.0\.113\.9:2000 .* reason=limit")
            # Another client behind the same balancer still gets in.
            self.relay_one(v1("203.0.113.10", 3000))
        finally:
            for s in sockets:
                s.close()

    def test_a_header_claiming_loopback_is_counted_too(self):
        sockets = []
        try:
            for i in range(2):
                s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                s.sendall(v1("127.0.0.9", 4000 + i))
                sockets.append(s)
            time.sleep(0.3)
            third = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            sockets.append(third)
            third.sendall(v1("127.0.0.9", 4002))
            self.assertTrue(closed_by_peer(third))
            self.wait_for(r"access: listener=test client=127\.0\.0\.9:4002 .* reason=limit")
        finally:
            for s in sockets:
                s.close()


class UntrustedSource(unittest.TestCase):
    def test_untrusted_source_is_refused_at_accept(self):
        port = net.free_port()
        config = gateway.relay_config(
            port, "127.0.0.1:%d" % net.free_port(), workers=1,
            extra_listener='proxy_protocol = true\nproxy_trusted = ["10.0.0.0/8"]')
        with gateway.Gateway(config, port) as gw:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(v1("192.0.2.1", 1))
                self.assertTrue(closed_by_peer(s))
            deadline = time.time() + 5
            while "not in proxy_trusted" not in gw.output() and time.time() < deadline:
                time.sleep(0.05)
            self.assertIn("connection from 127.0.0.1 refused: not in proxy_trusted", gw.output())
            self.assertEqual(gw.stop(), 0, gw.output())

    def test_config_errors_name_the_key(self):
        base = gateway.relay_config(4433, "127.0.0.1:8443")
        cases = [
            ("proxy_protocol = true", "listener[0].proxy_trusted: required with proxy_protocol"),
            ('proxy_trusted = ["10.0.0.0/8"]',
             "listener[0].proxy_trusted: set only with proxy_protocol = true"),
            ('proxy_protocol = true\nproxy_trusted = ["10.0.0.1/8"]',
             'listener[0].proxy_trusted[0]: invalid address range "10.0.0.1/8" (bits past the '
             'prefix are set)'),
            ('proxy_protocol = true\nproxy_trusted = ["10.0.0.0/33"]',
             'listener[0].proxy_trusted[0]: invalid address range "10.0.0.0/33" (prefix 0..32)'),
        ]
        for extra, error in cases:
            config = base.replace('name = "test"', 'name = "test"\n' + extra)
            code, out = gateway.check_config(config)
            self.assertEqual(code, 1, out)
            self.assertIn(error, out)


if __name__ == "__main__":
    unittest.main()
