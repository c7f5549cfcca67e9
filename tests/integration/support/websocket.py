"""Client side of the WebSocket transport (RFC 6455, docs/spec/wire-notes.md §5), independent of the C++
codecs: the upgrade request, masked binary frames out, frames in.

WebSocketStream(inner) wraps an obfuscated2 stream (support.obfuscation.Obfuscated2) and
plugs into support.client.Client as its `stream`: every client write becomes one masked
binary message; what the server sends is deframed, and each binary message's size, each
pong and each close frame is recorded for the tests to check.
"""
import base64
import hashlib
import os
import socket
import struct

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def accept_for(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def frame(opcode, payload, fin=True, mask=True, rsv=0):
    """One frame; client frames are masked with a random key."""
    head = bytearray([(0x80 if fin else 0) | rsv | opcode])
    n = len(payload)
    mask_bit = 0x80 if mask else 0
    if n < 126:
        head.append(mask_bit | n)
    elif n < 65536:
        head.append(mask_bit | 126)
        head += struct.pack(">H", n)
    else:
        head.append(mask_bit | 127)
        head += struct.pack(">Q", n)
    if not mask:
        return bytes(head) + payload
    key = os.urandom(4)
    body = bytes(b ^ key[i & 3] for i, b in enumerate(payload))
    return bytes(head) + key + body


def close_frame(code=1000, reason=b""):
    return frame(OP_CLOSE, struct.pack(">H", code) + reason)


def upgrade_request(path, key, host="127.0.0.1", protocol="binary", version="13"):
    lines = ["GET %s HTTP/1.1" % path, "Host: %s" % host, "Upgrade: websocket",
             "Connection: Upgrade", "Sec-WebSocket-Key: %s" % key,
             "Sec-WebSocket-Version: %s" % version]
    if protocol is not None:
        lines.append("Sec-WebSocket-Protocol: %s" % protocol)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_http_head(sock, timeout=10.0, data=b""):
    """Reads up to the blank line (after `data`, bytes already read); returns
    (status, {lower-case name: value}, rest)."""
    sock.settimeout(timeout)
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed during the HTTP reply (got %r)" % data)
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, rest


class FrameReader:
    """Server frames (unmasked) from a byte stream."""

    def __init__(self):
        self.buf = b""

    def feed(self, data):
        self.buf += data
        frames = []
        while True:
            if len(self.buf) < 2:
                return frames
            b0, b1 = self.buf[0], self.buf[1]
            if b1 & 0x80:
                raise AssertionError("the server masked a frame")
            n, pos = b1 & 0x7F, 2
            if n == 126:
                if len(self.buf) < 4:
                    return frames
                n, pos = struct.unpack(">H", self.buf[2:4])[0], 4
            elif n == 127:
                if len(self.buf) < 10:
                    return frames
                n, pos = struct.unpack(">Q", self.buf[2:10])[0], 10
            if len(self.buf) < pos + n:
                return frames
            frames.append((b0 & 0x0F, bool(b0 & 0x80), self.buf[pos:pos + n]))
            self.buf = self.buf[pos + n:]


class WebSocketStream:
    def __init__(self, inner, path="/apiws", protocol="binary"):
        self.inner = inner
        self.path = path
        self.protocol = protocol
        self.reader = FrameReader()
        self.message = None     # the binary message being reassembled
        self.messages = []      # sizes of the complete binary messages received
        self.pongs = []
        self.closes = []        # (code, reason) of close frames received
        self.reply_headers = {}
        self.leftover = b""
        self.first = True

    def handshake(self, sock, timeout=10.0):
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(upgrade_request(self.path, key, protocol=self.protocol))
        status, headers, self.leftover = read_http_head(sock, timeout)
        if status != 101:
            raise AssertionError("upgrade refused with %d" % status)
        if headers.get("sec-websocket-accept") != accept_for(key):
            raise AssertionError("bad Sec-WebSocket-Accept %r" % headers)
        self.reply_headers = headers

    def preamble(self):
        return b""  # the obfuscated2 init goes inside the first message

    def outbound(self, data):
        payload = self.inner.outbound(data)
        if self.first:
            self.first = False
            payload = self.inner.preamble() + payload
        return frame(OP_BINARY, payload)

    def inbound(self, data):
        if self.leftover:
            data, self.leftover = self.leftover + data, b""
        out = b""
        for opcode, fin, payload in self.reader.feed(data):
            if opcode in (OP_BINARY, OP_CONT):
                if opcode == OP_BINARY:
                    assert self.message is None, "a new message inside a fragmented one"
                    self.message = b""
                self.message += payload
                out += payload
                if fin:
                    self.messages.append(len(self.message))
                    self.message = None
            elif opcode == OP_PONG:
                self.pongs.append(payload)
            elif opcode == OP_CLOSE:
                code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005
                self.closes.append((code, payload[2:].decode()))
            else:
                raise AssertionError("unexpected opcode %d" % opcode)
        return self.inner.inbound(out)


def connect_raw(port, host="127.0.0.1", timeout=10.0):
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock
