"""MTProto over HTTP POST against the embedded default (edge decryption on): Telethon 1.25's
stock TelegramClient with ConnectionHttp does the DH handshake, help.getConfig, ping and
users.getUsers over `POST /api`, with the reader fix of docs/spec/real-clients.md applied at run time.

Long poll: an http_wait request with nothing to answer is held max_wait and then answered with
an empty msg_container (encrypted: Telethon decrypts and processes it); a query sent while a
poll is held is answered at once (its answer leaves through the oldest held request).

Routing by session: with Telethon's auth key, two raw HTTP connections of one session; a long
poll held on A is answered with the rpc_result of a query sent on B, and with http_wait's
wait_after, the results of two queries on B sent 0.3 s apart arrive in one answer on A.
"""
import asyncio
import collections
import io
import logging
import time

import base  # noqa: F401  (puts support/ on the path)
from support import gateway, net
from telethon.network import MTProtoSender  # noqa: F401  (the module the patch reaches)
from telethon.network.connection import ConnectionHttp
from telethon.network.connection import http as telethon_http
from telethon.network.mtprotostate import MTProtoState
from telethon.network.requeststate import RequestState
from telethon.tl.alltlobjects import LAYER
from telethon.tl.core import MessageContainer
from telethon.tl.functions import InitConnectionRequest, InvokeWithLayerRequest, PingRequest
from telethon.tl.functions.help import GetConfigRequest
from telethon.tl.types import BadServerSalt, HttpWait

from test_embedded import ADVERTISED_IP, ADVERTISED_PORT, EmbeddedCase, run


async def _read_packet_fixed(self, reader):
    """Telethon 1.25's HttpPacketCodec.read_packet with `line[-1:]` instead of `line[-1]`
    (docs/spec/real-clients.md: the original compares an int with bytes and ends every read)."""
    while True:
        line = await reader.readline()
        if not line or line[-1:] != b"\n":
            raise asyncio.IncompleteReadError(line, None)
        if line.lower().startswith(b"content-length: "):
            await reader.readexactly(2)
            length = int(line[16:-2])
            return await reader.readexactly(length)


telethon_http.HttpPacketCodec.read_packet = _read_packet_fixed


class RawHttpSession:
    """One MTProto session (an existing auth key, a fresh session id) spoken over any number of
    keep-alive HTTP connections: one encrypted message per POST body."""

    def __init__(self, auth_key, salt):
        loggers = collections.defaultdict(lambda: logging.getLogger(__name__))
        self.state = MTProtoState(auth_key, loggers=loggers)
        self.state.salt = salt

    async def open(self, port):
        return await asyncio.open_connection("127.0.0.1", port)

    async def post(self, conn, request, content_related):
        """Sends `request` (a TLObject) as one message on `conn`; returns its msg_id."""
        buffer = io.BytesIO()
        msg_id = self.state.write_data_as_message(buffer, bytes(request), content_related)
        body = self.state.encrypt_message_data(buffer.getvalue())
        _, writer = conn
        writer.write(b"POST /api HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
        return msg_id

    async def answer(self, conn, timeout):
        """The next response body on `conn`, decrypted: a list of (msg_id, object)."""
        reader, _ = conn
        length = None
        while True:
            line = await asyncio.wait_for(reader.readline(), timeout)
            if not line:
                raise ConnectionError("connection closed")
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
            if line == b"\r\n":
                break
        message = self.state.decrypt_message_data(await reader.readexactly(length))
        if isinstance(message.obj, MessageContainer):
            return [(m.msg_id, m.obj) for m in message.obj.messages]
        return [(message.msg_id, message.obj)]


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

    async def two_connections(self):
        """A RawHttpSession on Telethon's auth key with two keep-alive connections, the
        session opened on the first one (learning the salt if it has rotated). The caller
        closes both (close_all)."""
        client = await self.connect(self.port, ConnectionHttp)
        auth_key, salt = client.session.auth_key, client._sender._state.salt
        await client.disconnect()
        session = RawHttpSession(auth_key, salt)
        a = await session.open(self.port)
        b = await session.open(self.port)
        for _ in range(2):
            await session.post(a, PingRequest(ping_id=1), True)
            answer = await session.answer(a, 5)
            salts = [o for _, o in answer if isinstance(o, BadServerSalt)]
            if not salts:
                break
            session.state.salt = salts[0].new_server_salt
        self.assertFalse(salts, "bad_server_salt twice")
        return session, a, b

    @staticmethod
    def close_all(*conns):
        for _, writer in conns:
            writer.close()

    @staticmethod
    def get_config():
        return InvokeWithLayerRequest(LAYER, InitConnectionRequest(
            api_id=1, device_model="test", system_version="1", app_version="1",
            system_lang_code="en", lang_pack="", lang_code="en", query=GetConfigRequest()))

    def test_poll_on_one_connection_answered_by_a_query_on_another(self):
        async def scenario():
            session, a, b = await self.two_connections()
            try:
                # A long poll on A: nothing to send, so it is held.
                await session.post(a, HttpWait(0, 0, 20000), False)
                await asyncio.sleep(0.3)
                # A query on B of the same session: its rpc_result leaves through A's poll.
                start = time.monotonic()
                query_id = await session.post(b, self.get_config(), True)
                answer = await session.answer(a, 5)
                self.assertLess(time.monotonic() - start, 3)
                results = [o for _, o in answer if getattr(o, "req_msg_id", None) == query_id]
                self.assertEqual(len(results), 1, answer)
                self.assertIsNone(results[0].error)
            finally:
                self.close_all(a, b)

        run(scenario())

    def test_poll_batches_messages_by_wait_after(self):
        async def scenario():
            session, a, b = await self.two_connections()
            try:
                # A long poll that waits 1.5 s after each message for more (at most 6 s after
                # the first): two queries on B 0.3 s apart come back in ONE answer on A.
                await session.post(a, HttpWait(6000, 1500, 20000), False)
                await asyncio.sleep(0.3)
                first = await session.post(b, self.get_config(), True)
                await asyncio.sleep(0.3)
                second = await session.post(b, self.get_config(), True)
                answer = await session.answer(a, 10)
                answered = {getattr(o, "req_msg_id", None) for _, o in answer}
                self.assertIn(first, answered, answer)
                self.assertIn(second, answered, answer)
            finally:
                self.close_all(a, b)

        run(scenario())
