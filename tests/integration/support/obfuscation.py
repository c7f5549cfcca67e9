"""Client side of obfuscated2 and fake-TLS (docs/spec/wire-notes.md §3), independent of the C++ code.

Obfuscated2(tag, dc, secret) builds the 64-byte init and the two AES-256-CTR streams;
FakeTls(secret, domain) builds a ClientHello, checks the server's reply and wraps the
obfuscated2 stream in application-data records. Both plug into support.client.Client as a
`stream` (preamble(), outbound(), inbound()).
"""
import hashlib
import hmac
import os
import struct
import time

from telethon.crypto import AESModeCTR

TAGS = {"abridged": b"\xef\xef\xef\xef", "intermediate": b"\xee\xee\xee\xee",
        "padded": b"\xdd\xdd\xdd\xdd"}
_FORBIDDEN_FIRST4 = {b"HEAD", b"POST", b"GET ", b"OPTI", b"\xdd\xdd\xdd\xdd",
                     b"\xee\xee\xee\xee", b"\x16\x03\x01\x02"}


def random_init():
    """64 random bytes obeying §3.1: they must not look like another transport."""
    while True:
        init = bytearray(os.urandom(64))
        if init[0] == 0xEF or bytes(init[:4]) in _FORBIDDEN_FIRST4 or init[4:8] == b"\0\0\0\0":
            continue
        return init


class Obfuscated2:
    """One client connection's obfuscated2 state. `secret`: the 16 key bytes or None."""

    def __init__(self, inner, dc=2, secret=None, init=None):
        init = bytearray(init) if init is not None else random_init()
        init[56:60] = TAGS[inner]
        init[60:62] = struct.pack("<h", dc)
        key, iv = bytes(init[8:40]), bytes(init[40:56])
        rev = bytes(init[8:56])[::-1]
        rkey, riv = rev[:32], rev[32:48]
        if secret is not None:
            key = hashlib.sha256(key + secret).digest()
            rkey = hashlib.sha256(rkey + secret).digest()
        self.enc = AESModeCTR(key, iv)
        self.dec = AESModeCTR(rkey, riv)
        encrypted = self.enc.encrypt(bytes(init))
        self.header = bytes(init[:56]) + encrypted[56:64]
        self.init = bytes(init)

    def preamble(self):
        return self.header

    def outbound(self, data):
        return self.enc.encrypt(data) if data else b""

    def inbound(self, data):
        return self.dec.decrypt(data) if data else b""


def _ext(kind, body):
    return struct.pack(">HH", kind, len(body)) + body


def client_hello(secret, domain, timestamp=None, digest_ok=True):
    """A TLS 1.3 ClientHello record whose random carries HMAC-SHA256(secret, record) and the
    timestamp (§3.3). Returns (record, client_random)."""
    sni = domain.encode()
    exts = b"".join([
        _ext(0x0000, struct.pack(">HBH", len(sni) + 3, 0, len(sni)) + sni),
        _ext(0x000A, struct.pack(">H", 4) + b"\x00\x1d\x00\x17"),
        _ext(0x002B, b"\x04\x03\x04\x03\x03"),
        _ext(0x0033, struct.pack(">HHH", 36, 0x001D, 32) + os.urandom(32)),
    ])
    body = (b"\x03\x03" + b"\0" * 32 + b"\x20" + os.urandom(32) +
            struct.pack(">H", 6) + b"\x13\x01\x13\x02\x13\x03" + b"\x01\x00")
    pad = max(0, 512 - 4 - len(body) - 2 - len(exts) - 4)
    exts += _ext(0x0015, b"\0" * pad)
    body += struct.pack(">H", len(exts)) + exts
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    record = bytearray(b"\x16\x03\x01" + struct.pack(">H", len(handshake)) + handshake)
    digest = bytearray(hmac.new(secret, bytes(record), hashlib.sha256).digest())
    if not digest_ok:
        digest[0] ^= 0xFF
    ts = int(time.time()) if timestamp is None else timestamp
    digest[28:32] = bytes(a ^ b for a, b in zip(digest[28:32], struct.pack("<I", ts & 0xFFFFFFFF)))
    record[11:43] = digest
    return bytes(record), bytes(digest)


def parse_server_reply(secret, client_random, data):
    """Returns the reply's length once it is whole and authentic, 0 if more is needed;
    raises ValueError when it is malformed or the HMAC fails."""
    pos, kinds = 0, []
    while len(kinds) < 3:
        if len(data) < pos + 5:
            return 0
        kind, _, length = struct.unpack_from(">BHH", data, pos)
        if len(data) < pos + 5 + length:
            return 0
        kinds.append(kind)
        pos += 5 + length
    if kinds != [0x16, 0x14, 0x17]:
        raise ValueError("unexpected records %r" % kinds)
    reply = bytearray(data[:pos])
    server_random = bytes(reply[11:43])
    reply[11:43] = b"\0" * 32
    want = hmac.new(secret, client_random + bytes(reply), hashlib.sha256).digest()
    if not hmac.compare_digest(want, server_random):
        raise ValueError("server random is not HMAC(secret, client_random || reply)")
    return pos


class FakeTls:
    """obfuscated2 inside fake-TLS records. The handshake is done by `handshake(sock)`."""

    def __init__(self, inner, secret, domain, dc=2, timestamp=None):
        self.secret = secret
        self.hello, self.client_random = client_hello(secret, domain, timestamp)
        self.obf = Obfuscated2(inner, dc, secret)
        self.inbuf = b""
        self.ccs_sent = False

    def handshake(self, sock, timeout=10.0):
        sock.sendall(self.hello)
        sock.settimeout(timeout)
        data = b""
        while True:
            size = parse_server_reply(self.secret, self.client_random, data)
            if size:
                self.inbuf = data[size:]
                return
            chunk = sock.recv(65536)
            if not chunk:
                raise EOFError("server closed during the fake-TLS handshake")
            data += chunk

    def preamble(self):
        return self.outbound(b"", first=True)

    def outbound(self, data, first=False):
        plain = (self.obf.header if first else b"") + (self.obf.outbound(data) if data else b"")
        out = b""
        if not self.ccs_sent:
            out += b"\x14\x03\x03\x00\x01\x01"
            self.ccs_sent = True
        for i in range(0, len(plain), 16384):
            chunk = plain[i:i + 16384]
            out += b"\x17\x03\x03" + struct.pack(">H", len(chunk)) + chunk
        return out

    def inbound(self, data):
        self.inbuf += data
        out = b""
        while len(self.inbuf) >= 5:
            kind, _, length = struct.unpack_from(">BHH", self.inbuf)
            if kind != 0x17:
                raise ValueError("unexpected record type %#x" % kind)
            if len(self.inbuf) < 5 + length:
                break
            out += self.inbuf[5:5 + length]
            self.inbuf = self.inbuf[5 + length:]
        return self.obf.inbound(out)
