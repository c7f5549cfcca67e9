"""Client-side MTProto TCP transports (docs/spec/wire-notes.md §1): abridged, intermediate, padded
intermediate and full. encode() frames a client->server packet (optionally asking for a
quick ack); a Decoder turns server->client bytes into units:

    ("packet", payload)            a packet
    ("ack", token, form)           a quick-ack token; form tells how it was encoded
    ("error", code)                a transport error (negative code)
    ("nop",)                       a padded NOP

Server payloads shorter than 16 bytes are transport units (tdlib's Transport::read rule).
"""
import random
import struct
import zlib

SMALL_LIMIT = 16


class ProtocolError(Exception):
    pass


def _small_unit(payload):
    if len(payload) < 4:
        raise ProtocolError("short server payload of %d bytes" % len(payload))
    code = struct.unpack_from("<i", payload)[0]
    if code == 0:
        return ("nop",)
    if code == -1 and len(payload) >= 8:
        return ("ack", struct.unpack_from("<I", payload, 4)[0], "framed")
    if code < 0:
        return ("error", code)
    raise ProtocolError("short server payload with code %d" % code)


class Transport:
    name = None
    tag = b""
    has_quick_ack = True

    def encode(self, payload, quick_ack=False):
        raise NotImplementedError

    def decoder(self):
        raise NotImplementedError


class Abridged(Transport):
    name = "abridged"
    tag = b"\xef"

    def encode(self, payload, quick_ack=False):
        assert len(payload) % 4 == 0
        n = len(payload) // 4
        if n < 0x7F:
            head = bytes([n | (0x80 if quick_ack else 0)])
        else:
            head = bytes([0xFF if quick_ack else 0x7F]) + n.to_bytes(3, "little")
        return head + payload

    def decoder(self):
        return Decoder(self._parse)

    @staticmethod
    def _parse(buf):
        if not buf:
            return None
        b = buf[0]
        if b & 0x80:  # a quick-ack token: 4 raw bytes, big-endian
            if len(buf) < 4:
                return None
            return 4, ("ack", int.from_bytes(buf[:4], "big"), "raw-be")
        if b == 0x7F:
            if len(buf) < 4:
                return None
            n = int.from_bytes(buf[1:4], "little")
            if n < 0x7F:
                raise ProtocolError("server sent an overlong abridged length")
            head = 4
        else:
            n, head = b, 1
        size = head + 4 * n
        if len(buf) < size:
            return None
        payload = bytes(buf[head:size])
        if len(payload) < SMALL_LIMIT:
            return size, _small_unit(payload)
        return size, ("packet", payload)


class Intermediate(Transport):
    name = "intermediate"
    tag = b"\xee\xee\xee\xee"

    def encode(self, payload, quick_ack=False):
        word = len(payload) | (0x80000000 if quick_ack else 0)
        return struct.pack("<I", word) + payload

    def decoder(self):
        return Decoder(self._parse)

    def _parse(self, buf):
        if len(buf) < 4:
            return None
        word = struct.unpack_from("<I", buf)[0]
        if word & 0x80000000:  # a quick-ack token: 4 raw bytes, little-endian
            return 4, ("ack", word, "raw-le")
        size = 4 + word
        if len(buf) < size:
            return None
        payload = bytes(buf[4:size])
        return size, self._unit(payload)

    @staticmethod
    def _unit(payload):
        if len(payload) < SMALL_LIMIT:
            return _small_unit(payload)
        return ("packet", payload)


class Padded(Intermediate):
    name = "padded"
    tag = b"\xdd\xdd\xdd\xdd"

    def __init__(self, seed=1):
        self.rng = random.Random(seed)

    def encode(self, payload, quick_ack=False):
        pad = bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(16)))
        word = (len(payload) + len(pad)) | (0x80000000 if quick_ack else 0)
        return struct.pack("<I", word) + payload + pad

    def _parse(self, buf):
        if len(buf) < 4:
            return None
        word = struct.unpack_from("<I", buf)[0]
        if word & 0x80000000:
            return 4, ("ack", word, "raw-le")
        size = 4 + word
        if len(buf) < size:
            return None
        payload = bytes(buf[4:4 + (word & ~3)])  # server padding is 0..3 bytes
        return size, self._unit(payload)


class Full(Transport):
    """Full transport: seqno per direction, CRC-32. No quick-ack tokens from the server."""
    name = "full"
    tag = b""
    has_quick_ack = False

    def __init__(self):
        self.send_seq = 0

    def encode(self, payload, quick_ack=False, seq=None, corrupt_crc=False):
        total = len(payload) + 12
        if seq is None:
            seq = self.send_seq
            self.send_seq += 1
        word = total | (0x80000000 if quick_ack else 0)
        head = struct.pack("<II", word, seq)
        crc = zlib.crc32(head + payload) & 0xFFFFFFFF
        if corrupt_crc:
            crc ^= 1
        return head + payload + struct.pack("<I", crc)

    def decoder(self):
        state = {"seq": 0}

        def parse(buf):
            if len(buf) < 4:
                return None
            word = struct.unpack_from("<I", buf)[0]
            if word & 0x80000000:
                return 4, ("ack", word, "raw-le")
            if word < 12:
                raise ProtocolError("full: total_len %d" % word)
            if len(buf) < word:
                return None
            seq = struct.unpack_from("<I", buf, 4)[0]
            crc = struct.unpack_from("<I", buf, word - 4)[0]
            if zlib.crc32(bytes(buf[:word - 4])) & 0xFFFFFFFF != crc:
                raise ProtocolError("full: bad crc")
            if seq != state["seq"]:
                raise ProtocolError("full: seqno %d, expected %d" % (seq, state["seq"]))
            state["seq"] += 1
            payload = bytes(buf[8:word - 4])
            return word, Intermediate._unit(payload)

        return Decoder(parse)


def make(name, seed=1):
    if name == "padded":
        return Padded(seed)
    return {"abridged": Abridged, "intermediate": Intermediate, "full": Full}[name]()


ALL = ("abridged", "intermediate", "padded", "full")


class Decoder:
    """Accumulates bytes; units() yields what is complete."""

    def __init__(self, parse):
        self.parse = parse
        self.buf = bytearray()

    def feed(self, data):
        self.buf += data

    def units(self):
        out = []
        while True:
            r = self.parse(self.buf)
            if r is None:
                return out
            size, unit = r
            del self.buf[:size]
            out.append(unit)
