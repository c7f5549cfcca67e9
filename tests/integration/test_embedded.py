"""The embedded default end to end: Telethon 1.25's stock TelegramClient.connect() against the
real binary with edge decryption on, over full, abridged, intermediate, padded intermediate,
obfuscated2, and MTProxy with a plain secret (abridged, intermediate, padded inside) and with a
dd secret. Each connection does the DH handshake (Telethon's legacy
RSA encoding, with an RSA key generated for the test), help.getConfig answers with the
advertised address, ping works, users.getUsers([inputUserSelf]) gets AUTH_KEY_UNREGISTERED,
the key Telethon holds is the one mtedge persisted, and that key still works after a restart.
Raw-socket checks: an unknown auth_key_id gets transport error -404 and a packet with a bad
msg_key closes the connection.
"""
import asyncio
import logging
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

import base  # noqa: F401  (puts support/ on the path)
from support import gateway, net
from support.keys import make_rsa_key
from support.client import Client
from telethon import TelegramClient, errors
from telethon.crypto import AuthKey
from telethon.network import connection as tc
from telethon.network.connection.tcpintermediate import RandomizedIntermediatePacketCodec
from telethon.sessions import MemorySession
from telethon.tl.functions import PingRequest
from telethon.tl.functions.help import GetConfigRequest
from telethon.tl.functions.users import GetUsersRequest
from telethon.tl.types import InputUserSelf

# MTProxy secrets of the test listener (hex).
PLAIN_SECRET = "0123456789abcdef0123456789abcdef"
DD_SECRET = "00112233445566778899aabbccddeeff"

# What help.getConfig must advertise: deliberately not the listener's address.
ADVERTISED_IP = "198.51.100.7"
ADVERTISED_PORT = 4433

logging.getLogger("telethon").setLevel(logging.ERROR)


def stored_key_ids(path):
    """The permanent auth_key_ids in mtedge's key file (docs/mtproto.md "Auth keys")."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"MTEDGEAK":
        raise AssertionError("not an mtedge auth key file")
    ids, pos = set(), 16
    while pos < len(data):
        kind, key_id = data[pos], struct.unpack_from("<Q", data, pos + 1)[0]
        if kind == 1:
            ids.add(key_id)
            pos += 1 + 8 + 8 + 4 + 256 + 4
        elif kind == 2:
            ids.discard(key_id)
            pos += 1 + 8 + 4
        else:
            raise AssertionError("unknown record %d at %d" % (kind, pos))
    return ids


def run(coro, timeout=60):
    return asyncio.run(asyncio.wait_for(coro, timeout))


class EmbeddedCase(unittest.TestCase):
    """A temporary directory with an RSA key; gateways are started by the tests."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="mtedge-embedded-")
        cls.rsa_key = make_rsa_key(cls.dir)
        cls.key_file = os.path.join(cls.dir, "var", "auth_keys.bin")  # var/ does not exist yet

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def stop_class_gateway(cls, show_log=False):
        """Stops the class's gateway `cls.gw` and removes the directory; its log goes to stderr
        when `show_log` or when it did not exit 0 on SIGTERM, which fails the class."""
        code = cls.gw.stop()
        if show_log or code != 0:
            sys.stderr.write("\n---- mtedge log (exit %s) ----\n%s\n"
                             % (code, cls.gw.output()[-20000:]))
        cls.gw.log.close()
        shutil.rmtree(cls.dir, ignore_errors=True)
        if code != 0:
            raise AssertionError("mtedge exited with %s on SIGTERM" % code)

    def start_gateway(self):
        port = net.free_port()
        gw = gateway.Gateway(gateway.embedded_config(port, self.rsa_key, self.key_file,
                                                     ADVERTISED_IP, ADVERTISED_PORT,
                                                     log_level="debug"), port)
        gw.start()
        return gw

    def stop_gateway(self, gw):
        code = gw.stop()
        output = gw.output()
        gw.log.close()
        if code != 0:
            sys.stderr.write("\n---- mtedge log (exit %s) ----\n%s\n" % (code, output[-20000:]))
        self.assertEqual(code, 0, "mtedge exited with %s on SIGTERM" % code)
        return output

    async def connect(self, port, connection, auth_key=None, secret=None):
        """Telethon's stock connect(); `secret` (hex) makes it an MTProxy connection.
        connection_retries=1: Telethon itself fails about one key exchange in 256
        (docs/spec/real-clients.md), so it may retry once, never more."""
        session = MemorySession()
        session.set_dc(2, "127.0.0.1", port)
        if auth_key is not None:
            session.auth_key = auth_key
        proxy = ("127.0.0.1", port, secret) if secret else None
        client = TelegramClient(session, 1, "0" * 32, connection=connection, proxy=proxy,
                                connection_retries=1, retry_delay=0, auto_reconnect=False,
                                request_retries=1, timeout=10, receive_updates=False)
        await client.connect()
        self.assertTrue(client.is_connected())
        return client

    def check_client(self, port, connection, secret=None):
        """A Telethon client on `port` connects (a new auth key), passes check_api and
        disconnects; the key it derived is the one mtedge stored (and persisted). Returns
        the key's bytes."""
        async def scenario():
            client = await self.connect(port, connection, secret=secret)
            try:
                await self.check_api(client)
                return client.session.auth_key
            finally:
                await client.disconnect()

        key = run(scenario())
        self.assertIn(key.key_id, stored_key_ids(self.key_file))
        return key.key

    async def check_api(self, client):
        config = await client(GetConfigRequest())
        self.assertEqual(config.this_dc, 2)
        self.assertIn((2, ADVERTISED_IP, ADVERTISED_PORT),
                      [(o.id, o.ip_address, o.port) for o in config.dc_options])
        pong = await client(PingRequest(ping_id=0x1234567890))
        self.assertEqual(pong.ping_id, 0x1234567890)
        with self.assertRaises(errors.AuthKeyUnregisteredError):
            await client(GetUsersRequest([InputUserSelf()]))


class PaddedPacketCodec(RandomizedIntermediatePacketCodec):
    tag = b"\xdd\xdd\xdd\xdd"  # Telethon's codec sends this tag only inside obfuscated2


class ConnectionTcpPadded(tc.ConnectionTcpIntermediate):
    """Padded intermediate without MTProxy: Telethon has no stock class (docs/spec/real-clients.md)."""
    packet_codec = PaddedPacketCodec


class TelethonOverEveryTransport(EmbeddedCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.port = net.free_port()
        secrets = ('secrets = [{ label = "plain", secret = "%s" }, '
                   '{ label = "dd", secret = "dd%s" }]\nallow_no_secret = true'
                   % (PLAIN_SECRET, DD_SECRET))
        cls.gw = gateway.Gateway(gateway.embedded_config(cls.port, cls.rsa_key, cls.key_file,
                                                         ADVERTISED_IP, ADVERTISED_PORT,
                                                         extra_listener=secrets),
                                 cls.port)
        cls.gw.start()
        cls.failed = False

    @classmethod
    def tearDownClass(cls):
        cls.stop_class_gateway(show_log=cls.failed)

    def tearDown(self):
        result = getattr(self._outcome, "result", None)
        if result is not None and any(t is self for t, _ in result.errors + result.failures):
            type(self).failed = True
        self.assertTrue(self.gw.alive(), "mtedge died")

    def check_transport(self, connection, secret=None):
        self.check_client(self.port, connection, secret=secret)

    def test_full(self):
        self.check_transport(tc.ConnectionTcpFull)

    def test_abridged(self):
        self.check_transport(tc.ConnectionTcpAbridged)

    def test_intermediate(self):
        self.check_transport(tc.ConnectionTcpIntermediate)

    def test_padded(self):
        self.check_transport(ConnectionTcpPadded)

    def test_obfuscated(self):
        self.check_transport(tc.ConnectionTcpObfuscated)

    # MTProxy: Telethon waits 2 s after the obfuscated2 header before its first request.
    def test_mtproxy_plain_secret_abridged(self):
        self.check_transport(tc.ConnectionTcpMTProxyAbridged, PLAIN_SECRET)

    def test_mtproxy_plain_secret_intermediate(self):
        self.check_transport(tc.ConnectionTcpMTProxyIntermediate, PLAIN_SECRET)

    def test_mtproxy_plain_secret_padded(self):
        self.check_transport(tc.ConnectionTcpMTProxyRandomizedIntermediate, PLAIN_SECRET)

    def test_mtproxy_dd_secret(self):
        self.check_transport(tc.ConnectionTcpMTProxyRandomizedIntermediate, "dd" + DD_SECRET)

    def test_unknown_auth_key_gets_404(self):
        for transport in ("abridged", "intermediate", "padded", "full"):
            with Client(self.port, transport) as c:
                c.send(struct.pack("<Q", 0x0123456789ABCDEF) + os.urandom(16 + 64), quick_ack=True)
                self.assertEqual(c.wait_closed(), [("error", -404)], transport)

    def test_bad_msg_key_closes_without_404(self):
        async def make_key():
            client = await self.connect(self.port, tc.ConnectionTcpIntermediate)
            key = client.session.auth_key
            await client.disconnect()
            return key

        key = run(make_key())
        with Client(self.port, "intermediate") as c:
            # A known auth_key_id with a msg_key and ciphertext that do not match.
            c.send(struct.pack("<Q", key.key_id) + os.urandom(16 + 64))
            self.assertEqual(c.wait_closed(), [])


class AuthKeysSurviveRestart(EmbeddedCase):
    def test_key_survives_restart(self):
        gw = self.start_gateway()
        try:
            key_bytes = self.check_client(gw.port, tc.ConnectionTcpIntermediate)
        finally:
            output = self.stop_gateway(gw)
        self.assertIn("created (permanent)", output)
        key_id = AuthKey(key_bytes).key_id
        # Telethon fails ~1 key exchange in 256 on its side and retries once (docs/spec/real-clients.md):
        # the key it abandoned stays stored too, so the client's key is one of the stored ones.
        stored = stored_key_ids(self.key_file)
        self.assertIn(key_id, stored)

        gw = self.start_gateway()
        try:
            self.assertIn("1 auth keys loaded", gw.output())

            async def second():
                # No handshake this time: the session already holds the key.
                client = await self.connect(gw.port, tc.ConnectionTcpAbridged,
                                            auth_key=AuthKey(key_bytes))
                try:
                    await self.check_api(client)
                    self.assertEqual(client.session.auth_key.key_id, key_id)
                finally:
                    await client.disconnect()

            run(second())
        finally:
            output = self.stop_gateway(gw)
        self.assertNotIn("created (permanent)", output)
        self.assertEqual(stored_key_ids(self.key_file), stored)  # nothing new after the restart


class KeyFileSizeLimit(EmbeddedCase):
    """A file size limit reached while a new key is appended (`prlimit --fsize` just above the
    file's size) fails that one handshake: mtedge keeps running, the file stays loadable, and
    new keys work again once the limit is lifted (docs/operations.md "Key file faults")."""

    def test_file_size_limit_does_not_end_mtedge(self):
        if shutil.which("prlimit") is None:
            self.skipTest("prlimit (util-linux) is not installed")
        gw = self.start_gateway()
        try:
            self.check_client(gw.port, tc.ConnectionTcpIntermediate)
            size = os.path.getsize(self.key_file)

            def fsize(soft):  # the hard limit stays unlimited, so the soft one can go back up
                subprocess.run(["prlimit", "--pid", str(gw.proc.pid),
                                "--fsize=%s:unlimited" % soft], check=True, capture_output=True)

            fsize(size + 10)

            async def refused():
                client = await self.connect(gw.port, tc.ConnectionTcpAbridged)
                await client.disconnect()

            with self.assertRaises(Exception):  # dh_gen_fail: Telethon gives up on the key
                run(refused())
            self.assertTrue(gw.alive(), "mtedge ended at the file size limit")
            self.assertEqual(os.path.getsize(self.key_file), size, "a partial record was left")
            fsize("unlimited")
            self.check_client(gw.port, tc.ConnectionTcpIntermediate)
        finally:
            self.stop_gateway(gw)
        self.assertGreaterEqual(len(stored_key_ids(self.key_file)), 2)


if __name__ == "__main__":
    unittest.main()
