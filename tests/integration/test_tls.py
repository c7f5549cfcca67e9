"""TLS termination on a `tls = true` listener (the real mtedge binary, relay backend): the
detector runs on the decrypted bytes, so every transport works inside TLS — plain TCP
transports, obfuscated2, WebSocket (wss://) — and Telethon connects with an SSL context.
A client that does not speak TLS is closed; others on the same listener are unaffected.
"""
import asyncio
import logging
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from base import GatewayTestCase
from support import gateway
from support.client import Client, Closed
from support.obfuscation import Obfuscated2
from support.upstream import answer_for, token_for
from support.websocket import WebSocketStream
from telethon.network import connection as tc


def make_cert(directory):
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                    "-subj", "/CN=mtedge.test", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def client_context():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def payload(size, seed):
    return bytes((seed + i * 11) & 0xFF for i in range(size))


class _Loggers(dict):
    def __missing__(self, key):
        return logging.getLogger(key)


class TlsListener(GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mtedge-tls-")
        cls.cert, cls.key = make_cert(cls.tmp)
        cls.config_kw = dict(
            transports=gateway.PLAIN_TRANSPORTS + ("obfuscated", "websocket"),
            extra_listener='tls = true\ntls_cert_file = "%s"\ntls_key_file = "%s"\n'
                           % (cls.cert, cls.key))
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.tmp)

    def round_trip(self, c, data, quick_ack=False):
        c.send(data, quick_ack)
        if quick_ack:
            self.assertEqual(c.read_unit()[:2], ("ack", token_for(data)))
        self.assertEqual(c.read_packet(), answer_for(data))

    def test_plain_transports_inside_tls(self):
        for transport in ("abridged", "intermediate", "full"):
            with self.subTest(transport=transport):
                c = Client(self.port, transport, tls=client_context())
                self.addCleanup(c.close)
                self.round_trip(c, payload(64, 1), quick_ack=transport != "full")
                self.round_trip(c, payload(512 * 1024, 2))  # many TLS records

    def test_certificate_is_the_configured_one(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as raw:
            with client_context().wrap_socket(raw, server_hostname="mtedge.test") as tls:
                with open(self.cert) as f:
                    self.assertEqual(tls.getpeercert(binary_form=True),
                                     ssl.PEM_cert_to_DER_cert(f.read()))

    def test_obfuscated_inside_tls(self):
        c = Client(self.port, "padded", stream=Obfuscated2("padded"), tls=client_context())
        self.addCleanup(c.close)
        data = payload(128, 3)
        c.send(data)
        got = c.read_packet()
        self.assertEqual(got[:4], b"ANS!")
        self.assertEqual(got[4:][::-1][:len(data)], data)

    def test_wss(self):
        c = Client(self.port, "intermediate", tls=client_context(),
                   stream=WebSocketStream(Obfuscated2("intermediate")))
        self.addCleanup(c.close)
        self.round_trip(c, payload(256, 4), quick_ack=True)

    def test_telethon_with_ssl(self):
        async def run():
            conn = tc.ConnectionTcpIntermediate("127.0.0.1", self.port, 2, loggers=_Loggers())
            await conn.connect(timeout=10, ssl=client_context())
            try:
                data = payload(1024, 5)
                await conn.send(data)
                self.assertEqual(await asyncio.wait_for(conn.recv(), 10), answer_for(data))
            finally:
                await conn.disconnect()

        asyncio.run(run())

    def test_plaintext_client_is_closed_others_unaffected(self):
        good = Client(self.port, "intermediate", tls=client_context())
        self.addCleanup(good.close)
        self.round_trip(good, payload(32, 6))
        bad = Client(self.port, "intermediate")  # no TLS
        self.addCleanup(bad.close)
        bad.send(payload(32, 7))
        start = time.monotonic()
        try:
            units = bad.wait_closed(timeout=5)
        except Closed:
            units = []
        self.assertEqual(units, [])
        self.assertLess(time.monotonic() - start, 5)
        self.round_trip(good, payload(32, 8))


class TlsConfigErrors(unittest.TestCase):
    def test_errors_name_the_key(self):
        tmp = tempfile.mkdtemp(prefix="mtedge-tls-")
        self.addCleanup(shutil.rmtree, tmp)
        cert, key = make_cert(tmp)
        cases = (
            ('tls = true\ntls_key_file = "%s"\n' % key, "listener[0].tls_cert_file: required"),
            ('tls = true\ntls_cert_file = "%s"\n' % cert, "listener[0].tls_key_file: required"),
            ('tls_cert_file = "%s"\n' % cert, "listener[0].tls_cert_file: set only with tls = true"),
            ('tls = true\ntls_cert_file = "%s/nope.pem"\ntls_key_file = "%s"\n' % (tmp, key),
             'listener[0].tls: cannot load certificate chain "%s/nope.pem": '
             'No such file or directory' % tmp),
            ('tls = true\ntls_cert_file = "%s"\ntls_key_file = "%s"\n' % (key, key),
             "listener[0].tls: cannot load certificate chain"),
            ('tls = true\ntls_cert_file = "%s"\ntls_key_file = "%s"\n' % (cert, cert),
             "listener[0].tls: cannot load private key"),
        )
        for extra, message in cases:
            with self.subTest(message=message):
                code, out = gateway.check_config(
                    gateway.relay_config(1, "127.0.0.1:2", extra_listener=extra))
                self.assertNotEqual(code, 0)
                self.assertIn(message, out)
                self.assertNotIn("PRIVATE KEY", out)
                self.assertNotIn("unknown error", out)


if __name__ == "__main__":
    unittest.main()
