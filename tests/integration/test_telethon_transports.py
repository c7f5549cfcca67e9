"""Telethon 1.25's own transport classes (Debian's python3-telethon) against the real mtedge
binary: every plain TCP transport, ConnectionTcpObfuscated, and the MTProxy connections with
plain and dd secrets reach the relay's upstream and get its answers back.

Only Telethon's connection layer is used (connect/send/recv of whole packets), so the test
upstream (support/upstream.py) can answer; the full client with the MTProto handshake runs
against the embedded backend in its own tests.
"""
import asyncio
import logging

from base import GatewayTestCase
from support import gateway
from support.upstream import answer_for
from telethon.network import connection as tc

PLAIN_KEY = "0123456789abcdef0123456789abcdef"
DD_KEY = "00112233445566778899aabbccddeeff"


class _Loggers(dict):
    def __missing__(self, key):
        return logging.getLogger(key)


def payload(size, seed):
    return bytes((seed + i * 13) & 0xFF for i in range(size))


class TelethonTransports(GatewayTestCase):
    config_kw = dict(
        transports=gateway.PLAIN_TRANSPORTS + ("obfuscated",), log_level="debug",
        extra_listener=('secrets = [{ label = "plain", secret = "%s" }, '
                        '{ label = "dd", secret = "dd%s" }]\nallow_no_secret = true\n'
                        % (PLAIN_KEY, DD_KEY)))

    def exchange(self, make, padded=False):
        async def run():
            conn = make()
            await conn.connect(timeout=10)
            try:
                for seed, size in ((1, 32), (2, 1024), (3, 200 * 1024)):
                    data = payload(size, seed)
                    await conn.send(data)
                    got = await asyncio.wait_for(conn.recv(), 10)
                    if padded:
                        # The server pads; Telethon strips only what is not a multiple of 4.
                        self.assertEqual(got[:4], b"ANS!")
                        self.assertEqual(got[4:][::-1][:len(data)], data)
                    else:
                        self.assertEqual(got, answer_for(data))
            finally:
                await conn.disconnect()

        asyncio.run(run())

    def test_plain_transports(self):
        for cls in (tc.ConnectionTcpFull, tc.ConnectionTcpAbridged, tc.ConnectionTcpIntermediate):
            with self.subTest(connection=cls.__name__):
                self.exchange(lambda: cls("127.0.0.1", self.port, 2, loggers=_Loggers()))

    def test_obfuscated(self):
        self.exchange(lambda: tc.ConnectionTcpObfuscated("127.0.0.1", self.port, 2,
                                                          loggers=_Loggers()))

    def test_mtproxy(self):
        cases = (
            (tc.ConnectionTcpMTProxyAbridged, PLAIN_KEY, "plain", False),
            (tc.ConnectionTcpMTProxyIntermediate, PLAIN_KEY, "plain", False),
            (tc.ConnectionTcpMTProxyRandomizedIntermediate, "dd" + DD_KEY, "dd", True),
        )
        for cls, secret, label, padded in cases:
            with self.subTest(connection=cls.__name__, secret=label):
                self.exchange(lambda: cls("127.0.0.1", self.port, 2, loggers=_Loggers(),
                                          proxy=("127.0.0.1", self.port, secret)), padded)
        log = self.gw.output()
        self.assertIn("secret plain dc 2", log)
        self.assertIn("secret dd dc 2", log)
        self.assertNotIn(PLAIN_KEY, log)
        self.assertNotIn(DD_KEY, log)
