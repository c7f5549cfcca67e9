"""The embedded default over WebSocket: Telethon 1.25's stock TelegramClient.connect() with its
obfuscated2 connection carried in WebSocket binary messages on /apiws (subprotocol
`binary`), the way web clients connect: DH handshake, help.getConfig, ping,
AUTH_KEY_UNREGISTERED, and the key Telethon derived is the one mtedge persisted.

Telethon has no WebSocket connection; ConnectionWebSocket below puts a small RFC 6455 layer
(support/websocket.py) under its ConnectionTcpObfuscated.
"""
import asyncio
import base64
import os
import struct
import sys
import unittest

import base  # noqa: F401  (puts support/ on the path)
from support import gateway, net
from support import websocket as ws
from telethon.network import connection as tc
from test_embedded import ADVERTISED_IP, ADVERTISED_PORT, EmbeddedCase


class WsReader:
    """readexactly() over the payload bytes of the server's binary messages."""

    def __init__(self, reader):
        self.reader = reader
        self.buf = b""

    async def readexactly(self, n):
        while len(self.buf) < n:
            head = await self.reader.readexactly(2)
            opcode, size = head[0] & 0x0F, head[1] & 0x7F
            if size == 126:
                size = struct.unpack(">H", await self.reader.readexactly(2))[0]
            elif size == 127:
                size = struct.unpack(">Q", await self.reader.readexactly(8))[0]
            payload = await self.reader.readexactly(size)
            if opcode == ws.OP_CLOSE:
                raise asyncio.IncompleteReadError(self.buf, n)
            if opcode in (ws.OP_BINARY, ws.OP_CONT):
                self.buf += payload
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


class WsWriter:
    """Every write() is one masked binary message."""

    def __init__(self, writer):
        self.writer = writer

    def write(self, data):
        self.writer.write(ws.frame(ws.OP_BINARY, data))

    async def drain(self):
        await self.writer.drain()

    def close(self):
        self.writer.close()

    async def wait_closed(self):
        await self.writer.wait_closed()


class ConnectionWebSocket(tc.ConnectionTcpObfuscated):
    async def _connect(self, timeout=None, ssl=None):
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self._ip, self._port, ssl=ssl), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(ws.upgrade_request("/apiws", key))
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=timeout)
        status_line = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status_line:
            raise ConnectionError("upgrade refused: %r" % status_line)
        if ws.accept_for(key).encode() not in head:
            raise ConnectionError("bad Sec-WebSocket-Accept")
        self._reader, self._writer = WsReader(reader), WsWriter(writer)
        self._codec = self.packet_codec(self)
        self._init_conn()
        await self._writer.drain()


class TelethonOverWebSocket(EmbeddedCase):
    def test_connect_get_config_ping(self):
        port = net.free_port()
        gw = gateway.Gateway(gateway.embedded_config(
            port, self.rsa_key, self.key_file, ADVERTISED_IP, ADVERTISED_PORT,
            log_level="debug", transports=("abridged", "obfuscated", "websocket")), port)
        gw.start()
        try:
            self.check_client(port, ConnectionWebSocket)
        finally:
            output = self.stop_gateway(gw)
        if "transport websocket/obfuscated/abridged" not in output:
            sys.stderr.write(output[-5000:])
        self.assertIn("transport websocket/obfuscated/abridged", output)


if __name__ == "__main__":
    unittest.main()
