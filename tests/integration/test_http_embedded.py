"""MTProto over HTTP POST against the embedded default (edge decryption on): Telethon 1.25's
stock TelegramClient with ConnectionHttp does the DH handshake, help.getConfig, ping and
users.getUsers over `POST /api`, with the reader fix of real-clients.md applied at run time.

Long poll: an http_wait request with nothing to answer is held max_wait and then answered with
an empty msg_container (encrypted: Telethon decrypts and processes it); a query sent while a
poll is held is answered at once (its answer leaves through the oldest held request).
"""
import asyncio
import time

import base  # noqa: F401  (puts support/ on the path)
from support import gateway, net
from telethon.network import MTProtoSender  # noqa: F401  (the module the patch reaches)
from telethon.network.connection import ConnectionHttp
from telethon.network.connection import http as telethon_http
from telethon.network.requeststate import RequestState
from telethon.tl.core import MessageContainer
from telethon.tl.functions import PingRequest
from telethon.tl.types import HttpWait

from test_embedded import ADVERTISED_IP, ADVERTISED_PORT, EmbeddedCase, run


async def _read_packet_fixed(self, reader):
    """Telethon 1.25's HttpPacketCodec.read_packet with `line[-1:]` instead of `line[-1]`
    (real-clients.md: the original compares an int with bytes and ends every read)."""
    while True:
        line = await reader.readline()
        if not line or line[-1:] != b"\n":
            raise asyncio.IncompleteReadError(line, None)
        if line.lower().startswith(b"content-length: "):
            await reader.readexactly(2)
            length = int(line[16:-2])
            return await reader.readexactly(length)


telethon_http.HttpPacketCodec.read_packet = _read_packet_fixed


class TelethonOverHttp(EmbeddedCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.port = net.free_port()
        config = gateway.embedded_config(cls.port, cls.rsa_key, cls.key_file, ADVERTISED_IP,
                                         ADVERTISED_PORT, transports=("intermediate", "http"),
                                         log_level="debug")
        cls.gw = gateway.Gateway(config, cls.port)
        cls.gw.start()

    @classmethod
    def tearDownClass(cls):
        code = cls.gw.stop()
        cls.gw.log.close()
        super().tearDownClass()
        if code != 0:
            raise AssertionError("mtedge exited with %s on SIGTERM" % code)

    def tearDown(self):
        self.assertTrue(self.gw.alive(), "mtedge died")

    def test_connect_get_config_ping(self):
        async def scenario():
            client = await self.connect(self.port, ConnectionHttp)
            try:
                await self.check_api(client)
            finally:
                await client.disconnect()

        run(scenario())
        self.assertIn("transport http", self.gw.output())

    def test_long_poll_answered_with_empty_container(self):
        async def scenario():
            client = await self.connect(self.port, ConnectionHttp)
            sender = client._sender
            containers = []
            handle_container = sender._handlers[MessageContainer.CONSTRUCTOR_ID]

            async def record(message):
                containers.append((time.monotonic(), len(message.obj.messages)))
                await handle_container(message)

            sender._handlers[MessageContainer.CONSTRUCTOR_ID] = record
            try:
                await asyncio.sleep(0.3)  # let Telethon's own acks go out first
                containers.clear()
                start = time.monotonic()
                sender._send_queue.append(RequestState(HttpWait(0, 0, 1500)))
                deadline = start + 10
                while not any(n == 0 for _, n in containers) and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                empty = [t for t, n in containers if n == 0]
                self.assertTrue(empty, "no empty msg_container arrived")
                self.assertGreaterEqual(empty[0] - start, 1.2)
                self.assertLess(empty[0] - start, 5)
                # While a poll is held, a query is still answered at once (its answer
                # leaves through the oldest held request).
                sender._send_queue.append(RequestState(HttpWait(0, 0, 20000)))
                start = time.monotonic()
                pong = await asyncio.wait_for(client(PingRequest(ping_id=77)), 5)
                self.assertEqual(pong.ping_id, 77)
                self.assertLess(time.monotonic() - start, 2)
            finally:
                await client.disconnect()

        run(scenario())
