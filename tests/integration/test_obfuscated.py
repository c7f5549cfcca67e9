"""obfuscated2 (with and without MTProxy secrets) and fake-TLS on the same port as the plain
transports, through the real mtedge binary with the relay backend; fronting of everything
that fails validation; anti-replay; dc-id routing; obfuscated2 towards the upstream.

The client side (support/obfuscation.py) is written from docs/spec/wire-notes.md, independently of
the C++ codecs.
"""
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from base import GatewayTestCase
from support import gateway, net
from support.client import Client
from support.fronting import REPLY, FrontingServer
from support.obfuscation import FakeTls, Obfuscated2, client_hello, random_init
from support.upstream import Upstream, answer_for, token_for

PLAIN_KEY = bytes.fromhex("0123456789abcdef0123456789abcdef")
DD_KEY = bytes.fromhex("00112233445566778899aabbccddeeff")
EE_KEY = bytes.fromhex("fedcba9876543210fedcba9876543210")
DOMAIN = "example.com"
WRONG_KEY = bytes.fromhex("ffffffffffffffffffffffffffffffff")

SECRETS = """secrets = [
  {{ label = "plain-one", secret = "{plain}" }},
  {{ label = "dd-one", secret = "dd{dd}" }},
  {{ label = "tls-one", secret = "ee{ee}{domain}" }},
]
allow_no_secret = true
""".format(plain=PLAIN_KEY.hex(), dd=DD_KEY.hex(), ee=EE_KEY.hex(), domain=DOMAIN.encode().hex())

ALL = gateway.PLAIN_TRANSPORTS + ("obfuscated", "fake-tls")


def payload(size, seed):
    return bytes((seed + i * 7) & 0xFF for i in range(size))


class ObfuscatedBase(GatewayTestCase):
    fronting = None
    extra_gateway = ""

    @classmethod
    def setUpClass(cls):
        cls.fronting = FrontingServer()
        cls.config_kw = dict(transports=ALL, log_level="debug", extra_gateway=cls.extra_gateway,
                             extra_listener=SECRETS + 'fronting = "%s"\n' % cls.fronting.address)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.fronting.close()

    def client(self, inner, stream, seed=1):
        c = Client(self.port, inner, seed=seed, stream=stream)
        self.addCleanup(c.close)
        return c

    def round_trip(self, c, data, quick_ack=False):
        c.send(data, quick_ack)
        if quick_ack:
            unit = c.read_unit()
            self.assertEqual(unit[0], "ack", unit)
            self.assertEqual(unit[1], token_for(data))
        got = c.read_packet()
        if c.codec.name == "padded":
            self.assertEqual(got[:4], b"ANS!")
            self.assertEqual(got[4:][::-1][:len(data)], data)
        else:
            self.assertEqual(got, answer_for(data))

    def expect_fronted(self, sock, sent, connections_before):
        """The client's bytes reached the fronting server unchanged and its reply came back."""
        sock.settimeout(5)
        got = b""
        while len(got) < len(REPLY):
            chunk = sock.recv(4096)
            if not chunk:
                break
            got += chunk
        self.assertEqual(got, REPLY)
        sock.close()
        seen = self.fronting.wait_connections(connections_before + 1)
        self.assertEqual(len(seen), connections_before + 1)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(self.fronting.received[connections_before]) < len(sent):
            time.sleep(0.01)
        self.assertEqual(self.fronting.received[connections_before], sent)


class Obfuscated2Transport(ObfuscatedBase):
    def test_without_secret_each_inner_transport(self):
        for inner in ("abridged", "intermediate", "padded"):
            with self.subTest(inner=inner):
                c = self.client(inner, Obfuscated2(inner, dc=2))
                self.round_trip(c, payload(64, 1))
                self.round_trip(c, payload(4096, 2), quick_ack=True)
                self.round_trip(c, payload(300 * 1024, 3))

    def test_plain_and_dd_secrets(self):
        for key, inner in ((PLAIN_KEY, "intermediate"), (DD_KEY, "padded"), (DD_KEY, "abridged")):
            with self.subTest(inner=inner):
                c = self.client(inner, Obfuscated2(inner, dc=-2, secret=key))
                self.round_trip(c, payload(128, 4), quick_ack=True)
        log = self.gw.output()
        self.assertIn("secret plain-one dc -2", log)
        self.assertIn("secret dd-one dc -2", log)
        for key in (PLAIN_KEY, DD_KEY, EE_KEY):
            self.assertNotIn(key.hex(), log)

    def test_split_byte_by_byte(self):
        c = self.client("intermediate", Obfuscated2("intermediate", secret=PLAIN_KEY))
        data = payload(256, 5)
        c.send_split(c.frame_bytes(data), chunk=1, pause=0.0005)
        got = c.read_packet()
        self.assertEqual(got, answer_for(data))

    def test_unknown_secret_is_fronted(self):
        before = len(self.fronting.received)
        obf = Obfuscated2("intermediate", secret=WRONG_KEY)
        # A wrong secret with allow_no_secret = true still fails: the tag decrypts to noise.
        sent = obf.preamble() + b"\x01\x02\x03\x04"
        sock = socket.create_connection(("127.0.0.1", self.port))
        sock.sendall(sent)
        self.expect_fronted(sock, sent, before)

    def test_replayed_init_is_fronted(self):
        init = random_init()
        c = self.client("intermediate", Obfuscated2("intermediate", init=init))
        self.round_trip(c, payload(64, 6))
        before = len(self.fronting.received)
        again = Obfuscated2("intermediate", init=init)
        sock = socket.create_connection(("127.0.0.1", self.port))
        sent = again.preamble()
        sock.sendall(sent)
        self.expect_fronted(sock, sent, before)

    def test_garbage_is_fronted(self):
        before = len(self.fronting.received)
        sock = socket.create_connection(("127.0.0.1", self.port))
        # Looks like nothing: not a tag, not HTTP, not TLS; bytes 4..8 non-zero, 64 bytes.
        sent = b"GARBAGE!" * 8
        sock.sendall(sent)
        self.expect_fronted(sock, sent, before)


class QuietConnectionsPark(ObfuscatedBase):
    """A connection quiet for park_after_ms drops its AES round keys; traffic afterwards, in
    either direction and resuming mid keystream block, is unchanged."""

    extra_gateway = "park_after_ms = 150"

    def parked_lines(self):
        return self.gw.output().count("parked after")

    def wait_parked(self, count):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self.parked_lines() < count:
            time.sleep(0.02)
        self.assertGreaterEqual(self.parked_lines(), count)

    def test_traffic_resumes_after_park(self):
        streams = (("obfuscated2", lambda: Obfuscated2("intermediate", dc=2)),
                   ("fake-tls", lambda: FakeTls("intermediate", EE_KEY, DOMAIN, dc=2)))
        for name, make in streams:
            with self.subTest(stream=name):
                before = self.parked_lines()
                c = self.client("intermediate", make())
                # 36 bytes (40 with the length): both keystreams stop mid-block, so the next
                # call starts from the kept block, then needs the rebuilt keys.
                self.round_trip(c, payload(36, 1))
                self.wait_parked(before + 1)
                self.round_trip(c, payload(1000, 2), quick_ack=True)
                self.wait_parked(before + 2)
                self.round_trip(c, payload(70000, 3))
                # Busy connections do not park: a round trip every 20 ms for 0.5 s.
                busy_from = self.parked_lines()
                for i in range(25):
                    self.round_trip(c, payload(16, 4 + i))
                    time.sleep(0.02)
                self.assertEqual(self.parked_lines(), busy_from)


class FakeTlsTransport(ObfuscatedBase):
    def test_round_trip_each_inner_transport(self):
        for inner in ("abridged", "intermediate", "padded"):
            with self.subTest(inner=inner):
                c = self.client(inner, FakeTls(inner, EE_KEY, DOMAIN))
                self.round_trip(c, payload(64, 1), quick_ack=True)
                # Larger than a record: frames straddle records both ways.
                self.round_trip(c, payload(100 * 1024, 2))
        log = self.gw.output()
        self.assertIn("transport fake-tls/padded secret tls-one", log)
        self.assertNotIn(EE_KEY.hex(), log)

    def hello_is_fronted(self, record):
        before = len(self.fronting.received)
        sock = socket.create_connection(("127.0.0.1", self.port))
        sock.sendall(record)
        self.expect_fronted(sock, record, before)

    def test_bad_digest_is_fronted(self):
        record, _ = client_hello(EE_KEY, DOMAIN, digest_ok=False)
        self.hello_is_fronted(record)

    def test_unknown_secret_is_fronted(self):
        record, _ = client_hello(WRONG_KEY, DOMAIN)
        self.hello_is_fronted(record)

    def test_stale_timestamp_is_fronted(self):
        record, _ = client_hello(EE_KEY, DOMAIN, timestamp=int(time.time()) - 3600)
        self.hello_is_fronted(record)

    def test_replayed_hello_is_fronted(self):
        tls = FakeTls("intermediate", EE_KEY, DOMAIN)
        c = self.client("intermediate", tls)
        self.round_trip(c, payload(64, 3))
        self.hello_is_fronted(tls.hello)


class ReplayCacheFlood(ObfuscatedBase):
    """Inits without a secret are free to make: a flood of them must not evict the digests
    that protect fake-TLS hellos or inits made with a secret (each listener keeps one cache
    per kind: fake-TLS hellos, obfuscated2 inits with a secret, obfuscated2 inits without)."""
    extra_gateway = "replay_max_entries = 1024"

    def flood_inits_without_secret(self):
        # 1024 entries in 32 shards: 4000 fresh digests evict every older one of a cache.
        for _ in range(4000):
            sock = socket.create_connection(("127.0.0.1", self.port))
            sock.sendall(Obfuscated2("intermediate").preamble())
            sock.close()
        time.sleep(0.5)

    def test_inits_without_secret_do_not_flush_the_hello_cache(self):
        tls = FakeTls("intermediate", EE_KEY, DOMAIN)
        c = self.client("intermediate", tls)
        self.round_trip(c, payload(64, 8))
        self.flood_inits_without_secret()
        before = len(self.fronting.received)
        sock = socket.create_connection(("127.0.0.1", self.port))
        sock.sendall(tls.hello)
        self.expect_fronted(sock, tls.hello, before)

    def test_inits_without_secret_do_not_flush_the_secret_init_cache(self):
        init = random_init()
        c = self.client("intermediate", Obfuscated2("intermediate", secret=PLAIN_KEY, init=init))
        self.round_trip(c, payload(64, 9))
        self.flood_inits_without_secret()
        before = len(self.fronting.received)
        sock = socket.create_connection(("127.0.0.1", self.port))
        sent = Obfuscated2("intermediate", secret=PLAIN_KEY, init=init).preamble()
        sock.sendall(sent)
        self.expect_fronted(sock, sent, before)


class TlsServerFronting(GatewayTestCase):
    """A real TLS client (Python's ssl) on a fake-TLS port reaches the fronting server, a real
    TLS server (`openssl s_server`): the handshake completes with that server's certificate."""

    @classmethod
    def setUpClass(cls):
        # Class cleanups run even when setUpClass fails below (e.g. mtedge does not start),
        # so neither the TLS server nor its directory outlives the test.
        cls.tmp = tempfile.mkdtemp(prefix="mtedge-front-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.cert, key = os.path.join(cls.tmp, "cert.pem"), os.path.join(cls.tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=decoy.test", "-keyout", key, "-out", cls.cert],
                       check=True, capture_output=True)
        cls.tls_port = net.free_port()
        cls.server = subprocess.Popen(
            ["openssl", "s_server", "-accept", "127.0.0.1:%d" % cls.tls_port, "-cert", cls.cert,
             "-key", key, "-www", "-quiet"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.addClassCleanup(cls.stop_server)
        if not net.wait_for_port("127.0.0.1", cls.tls_port, 10):
            raise RuntimeError("openssl s_server did not start")
        cls.config_kw = dict(
            transports=("fake-tls",),
            extra_listener='secrets = [{ label = "tls", secret = "ee%s%s" }]\n'
                           'fronting = "127.0.0.1:%d"\n' % (EE_KEY.hex(), DOMAIN.encode().hex(),
                                                            cls.tls_port))
        super().setUpClass()

    @classmethod
    def stop_server(cls):
        cls.server.kill()
        cls.server.wait()

    def test_tls_client_sees_the_fronting_server(self):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname=DOMAIN) as tls:
                with open(self.cert) as f:
                    expected = ssl.PEM_cert_to_DER_cert(f.read())
                self.assertEqual(tls.getpeercert(binary_form=True), expected)
                tls.sendall(b"GET / HTTP/1.0\r\n\r\n")
                answer = b""
                while True:
                    chunk = tls.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
                self.assertTrue(answer.startswith(b"HTTP/1.0 200"), answer[:80])

    def test_fake_tls_client_still_served(self):
        c = Client(self.port, "padded", stream=FakeTls("padded", EE_KEY, DOMAIN))
        self.addCleanup(c.close)
        c.send(payload(64, 9))
        got = c.read_packet()
        self.assertEqual(got[:4], b"ANS!")
        self.assertEqual(got[4:][::-1][:64], payload(64, 9))


class NoFronting(GatewayTestCase):
    """Without a fronting address a rejected connection is closed after a short delay."""
    config_kw = dict(transports=("obfuscated",),
                     extra_listener='secrets = [{ label = "s", secret = "%s" }]\n' % PLAIN_KEY.hex())

    def test_secret_only_listener_closes_unknown_bytes(self):
        for sent in (b"\xef" + b"\x01" * 63, b"\xee\xee\xee\xee" + b"\x01" * 60,
                     Obfuscated2("intermediate").preamble()):
            with self.subTest(first=sent[:4].hex()):
                sock = socket.create_connection(("127.0.0.1", self.port))
                sock.sendall(sent)
                start = time.monotonic()
                sock.settimeout(5)
                self.assertEqual(sock.recv(100), b"")
                self.assertGreaterEqual(time.monotonic() - start, 0.15)
                sock.close()

    def test_secret_still_works(self):
        c = Client(self.port, "abridged", stream=Obfuscated2("abridged", secret=PLAIN_KEY))
        self.addCleanup(c.close)
        c.send(payload(32, 1))
        self.assertEqual(c.read_packet(), answer_for(payload(32, 1)))


class DcRouting(unittest.TestCase):
    """The relay picks its upstream by the obfuscated2 dc id; unknown ids use the default."""

    def test_dc_routing(self):
        default, media, test_dc = Upstream(), Upstream(), Upstream()
        port = net.free_port()
        config = gateway.relay_config(port, default.address, transports=("obfuscated",),
                                      dc={"-2": media.address, "10002": test_dc.address})
        gw = gateway.Gateway(config, port).start()
        try:
            for dc, upstream in ((-2, media), (10002, test_dc), (2, default), (1234, default)):
                with self.subTest(dc=dc):
                    before = upstream.accepted
                    c = Client(port, "intermediate", stream=Obfuscated2("intermediate", dc=dc))
                    c.send(payload(16, dc & 0xFF))
                    self.assertEqual(c.read_packet(), answer_for(payload(16, dc & 0xFF)))
                    c.close()
                    self.assertEqual(upstream.accepted, before + 1)
        finally:
            self.assertEqual(gw.stop(), 0)
            gw.log.close()
            for u in (default, media, test_dc):
                u.close()


class ObfuscatedUpstream(unittest.TestCase):
    """Relay A speaks obfuscated2 with a secret to relay B, which checks the secret:
    client (intermediate) -> A -> (obfuscated2, secret) -> B -> upstream (intermediate)."""

    def test_chain(self):
        upstream = Upstream()
        port_b, port_a = net.free_port(), net.free_port()
        config_b = gateway.relay_config(
            port_b, upstream.address, transports=("obfuscated",), log_level="debug",
            extra_listener='secrets = [{ label = "from-a", secret = "dd%s" }]\n' % DD_KEY.hex())
        config_a = gateway.relay_config(
            port_a, "127.0.0.1:%d" % port_b, transport="padded",
            extra_relay='upstream_obfuscated = true\nupstream_secret = "dd%s"\ndefault_dc = 4\n'
            % DD_KEY.hex())
        gw_b = gateway.Gateway(config_b, port_b).start()
        gw_a = gateway.Gateway(config_a, port_a).start()
        try:
            c = Client(port_a, "intermediate")
            for i in range(3):
                data = payload(64 + 32 * i, i)
                c.send(data, quick_ack=True)
                unit = c.read_unit()
                self.assertEqual(unit[:2], ("ack", token_for(data)))
                got = c.read_packet()
                self.assertEqual(got[:4], b"ANS!")
                self.assertEqual(got[4:][::-1][:len(data)], data)
            c.close()
            self.assertIn("transport obfuscated/padded secret from-a dc 4", gw_b.output())
        finally:
            self.assertEqual(gw_a.stop(), 0)
            self.assertEqual(gw_b.stop(), 0)
            gw_a.log.close()
            gw_b.log.close()
            upstream.close()


if __name__ == "__main__":
    unittest.main()
