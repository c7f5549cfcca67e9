"""The socket backend with edge decryption on: the real mtedge binary runs the handshake and
MTProto 2.0 decryption (RSA key tests/vectors/test_rsa_2048.pem), two example backends
(examples/python/backend.py) behind it see only decrypted frames and answer by session.

Telethon 1.25's stock TelegramClient connects (the DH handshake with mtedge), its
invokeWithLayer(initConnection(help.getConfig)) comes back as the backend's rpc_error 501,
and its own PingRequest gets the backend's pong, alone and inside a msg_container; every
frame of the key reached one backend, decrypted, after that backend was told of the new key
and its handshake salt (AuthKeyCreated).
"""
import asyncio
import logging
import os
import subprocess
import sys
import time
import unittest

import base  # noqa: F401  (puts support/ on the path)
from support import gateway, net
from support.backend import ExampleBackend, tcp_listen
from telethon import TelegramClient, errors, functions
from telethon.crypto import rsa
from telethon.network import connection as tc
from telethon.sessions import MemorySession

HERE = os.path.dirname(os.path.abspath(__file__))
RSA_KEY = os.path.normpath(os.path.join(HERE, "..", "vectors", "test_rsa_2048.pem"))

logging.getLogger("telethon").setLevel(logging.ERROR)


def register_rsa_key():
    """Tells Telethon the public half of the test key (it only talks to known keys)."""
    public = subprocess.run(["openssl", "rsa", "-in", RSA_KEY, "-RSAPublicKey_out"], check=True,
                            capture_output=True, text=True).stdout
    rsa.add_key(public, old=False)


def run(coro, timeout=30):
    return asyncio.run(asyncio.wait_for(coro, timeout))


class DecryptedSocket(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        register_rsa_key()
        cls.servers = [ExampleBackend(tcp_listen(), name).start() for name in ("b1", "b2")]
        cls.port = net.free_port()
        cls.gw = gateway.Gateway(gateway.socket_config(cls.port, [s.listen for s in cls.servers],
                                                       gateway_id="itest-decrypted",
                                                       rsa_key=RSA_KEY),
                                 cls.port)
        try:
            cls.gw.start()
            deadline = time.monotonic() + 10
            while not all(sum("hello" in l for l in s.lines) >= 2 for s in cls.servers):
                if time.monotonic() > deadline:
                    raise RuntimeError("mtedge did not connect to the backends:\n" + cls.gw.output())
                time.sleep(0.05)
        except Exception:
            cls.gw.stop()
            for s in cls.servers:
                s.stop()
            raise
        cls.failed = False

    @classmethod
    def tearDownClass(cls):
        code = cls.gw.stop()
        if cls.failed or code != 0:
            sys.stderr.write("\n---- mtedge log (exit %s) ----\n%s\n"
                             % (code, cls.gw.output()[-20000:]))
            for s in cls.servers:
                sys.stderr.write("---- %s ----\n%s\n" % (s.name, "\n".join(s.lines[-50:])))
        cls.gw.log.close()
        for s in cls.servers:
            s.stop()
        if code != 0:
            raise AssertionError("mtedge exited with %s on SIGTERM" % code)

    def tearDown(self):
        result = getattr(self._outcome, "result", None)
        if result is not None and any(t is self for t, _ in result.errors + result.failures):
            type(self).failed = True
        self.assertTrue(self.gw.alive(), "mtedge died")

    async def connect(self, connection):
        """Telethon's stock connect(): the handshake runs at the edge, then its
        invokeWithLayer reaches the backend, which answers rpc_error 501 (it implements ping
        only). The client stays connected and usable."""
        session = MemorySession()
        session.set_dc(2, "127.0.0.1", self.port)
        client = TelegramClient(session, 1, "0" * 32, connection=connection,
                                connection_retries=1, retry_delay=0, auto_reconnect=False,
                                request_retries=1, timeout=5, receive_updates=False)
        with self.assertRaises(errors.RPCError) as raised:
            await client.connect()
        self.assertEqual((raised.exception.code, raised.exception.message),
                         (501, "NOT_IMPLEMENTED"))
        self.assertTrue(client.is_connected())
        return client

    def key_lines(self, key_id):
        """{backend name: [its log lines about `key_id`]}, in the order it logged them."""
        out = {}
        for s in self.servers:
            with s.lock:
                lines = [l for l in s.lines if "key=%016x" % key_id in l]
            if lines:
                out[s.name] = lines
        return out

    def frames_of(self, key_id):
        """{backend name: [frame kinds]} of the frames each backend logged for `key_id`."""
        out = {}
        for s in self.servers:
            with s.lock:
                lines = list(s.lines)
            kinds = [f.split("=", 1)[1] for line in lines if " frame " in line
                     and "key=%016x" % key_id in line for f in line.split()
                     if f.startswith("kind=")]
            if kinds:
                out[s.name] = kinds
        return out

    def check_ping(self, connection):
        async def scenario():
            client = await self.connect(connection)
            try:
                pong = await client(functions.PingRequest(ping_id=0x1234567890ABC))
                self.assertEqual(pong.ping_id, 0x1234567890ABC)
                return client.session.auth_key.key_id
            finally:
                await client.disconnect()

        key_id = run(scenario())
        # The backends' logs arrive through pipes read by other threads: wait for both frames.
        deadline = time.monotonic() + 5
        frames = self.frames_of(key_id)
        while sum(map(len, frames.values())) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
            frames = self.frames_of(key_id)
        self.assertEqual(len(frames), 1, "key %x reached %s" % (key_id, sorted(frames)))
        kinds = next(iter(frames.values()))
        self.assertGreaterEqual(len(kinds), 2)  # invokeWithLayer, ping (and acks)
        self.assertEqual(set(kinds), {"FRAME_KIND_DECRYPTED"})
        # The key's backend, and only it, heard of the key once, before the key's first
        # frame, with a salt. (Which salt is tested in edge_stage_test: the handshake's.
        # Telethon ignores it and starts at salt 0, learning the real one from
        # bad_server_salt, which this backend never sends.)
        lines = self.key_lines(key_id)
        self.assertEqual(sorted(lines), sorted(frames))
        lines = next(iter(lines.values()))
        self.assertIn(" auth_key_created ", lines[0])
        self.assertEqual(sum(" auth_key_created " in l for l in lines), 1)
        self.assertNotEqual(lines[0].split("salt=")[1], "0" * 16)

    def test_ping_over_intermediate(self):
        self.check_ping(tc.ConnectionTcpIntermediate)

    def test_ping_over_abridged(self):
        self.check_ping(tc.ConnectionTcpAbridged)

    def test_ping_over_full(self):
        self.check_ping(tc.ConnectionTcpFull)

    def test_container_and_rpc_error(self):
        async def scenario():
            client = await self.connect(tc.ConnectionTcpIntermediate)
            try:
                # Several requests at once go out in one msg_container; each gets its answer.
                pongs = await client([functions.PingRequest(ping_id=i) for i in (11, 12, 13)])
                self.assertEqual([p.ping_id for p in pongs], [11, 12, 13])
                with self.assertRaises(errors.RPCError) as raised:
                    await client(functions.help.GetNearestDcRequest())
                self.assertEqual(raised.exception.code, 501)
                pong = await client(functions.PingRequest(ping_id=14))
                self.assertEqual(pong.ping_id, 14)
            finally:
                await client.disconnect()

        run(scenario())


if __name__ == "__main__":
    unittest.main()
