"""Malformed client input against the real binary (relay backend): each case closes only
that connection (with -429 where the transport has an error packet and the length is
oversize), and a second, well-behaved client in the same test keeps working."""
import random
import socket
import struct
import unittest

from base import GatewayTestCase
from support import codecs
from support.client import Client
from support.upstream import answer_for


def payload(size, seed):
    return bytes((seed + i * 13) & 0xFF for i in range(size))


OVERSIZE = {
    # A length far above the frame cap, declared in each transport's header.
    "abridged": b"\xef\x7f\xff\xff\x3f",
    "intermediate": b"\xee\xee\xee\xee" + struct.pack("<I", 0x7FFFFFF0),
    "padded": b"\xdd\xdd\xdd\xdd" + struct.pack("<I", 0x7FFFFFF0),
    "full": struct.pack("<II", 0x7FFFFFF0, 0),
}

TRUNCATED = {
    "abridged": b"\xef\x7f\x00\x01\x00" + b"x" * 100,  # declares 1 KiB
    "intermediate": b"\xee\xee\xee\xee" + struct.pack("<I", 1024) + b"x" * 100,
    "padded": b"\xdd\xdd\xdd\xdd" + struct.pack("<I", 1027) + b"x" * 100,
    "full": struct.pack("<II", 1036, 0) + b"x" * 100,
}


class Malformed(GatewayTestCase):
    def setUp(self):
        # The well-behaved neighbour, connected before the bad client and checked after it.
        self.good = Client(self.port, "intermediate", seed=99)
        self.addCleanup(self.good.close)
        self.good_round(1)

    def good_round(self, seed):
        p = payload(64, seed)
        self.good.send(p)
        self.assertEqual(self.good.read_packet(), answer_for(p))

    def bad_client(self, transport="intermediate"):
        c = Client(self.port, transport)
        self.addCleanup(c.close)
        return c

    def expect_closed(self, c, units=()):
        got = c.wait_closed(timeout=8)
        self.assertEqual(got, list(units))
        self.good_round(2)

    def test_garbage(self):
        rng = random.Random(5)
        data = bytearray(rng.randrange(256) for _ in range(256))
        data[0] = 0x01  # not a tag, not HTTP/TLS; bytes 4..8 non-zero: not full either
        data[4:8] = b"\x01\x02\x03\x04"
        c = self.bad_client()
        c.send_raw(bytes(data))
        self.expect_closed(c)

    def test_garbage_after_tag(self):
        c = self.bad_client("intermediate")
        c.send_raw(b"\xee\xee\xee\xee" + struct.pack("<I", 7) + b"garbage")  # not a multiple of 4
        self.expect_closed(c)

    def _oversize(self, transport):
        c = self.bad_client(transport)
        c.send_raw(OVERSIZE[transport])
        self.expect_closed(c, [("error", -429)])

    def _truncated(self, transport):
        c = self.bad_client(transport)
        c.send_raw(TRUNCATED[transport])
        c.sock.shutdown(socket.SHUT_WR)
        self.expect_closed(c)

    def test_full_bad_crc(self):
        c = self.bad_client("full")
        c.send_raw(c.codec.encode(payload(32, 3), corrupt_crc=True))
        self.expect_closed(c)

    def test_full_bad_seqno(self):
        c = self.bad_client("full")
        c.send_raw(c.codec.encode(payload(32, 3), seq=5))
        self.expect_closed(c)

    def test_full_bad_seqno_later(self):
        c = self.bad_client("full")
        p = payload(32, 4)
        c.send(p)
        self.assertEqual(c.read_packet(), answer_for(p))
        c.send_raw(c.codec.encode(p, seq=0))  # a replayed seqno
        self.expect_closed(c)

    def test_abridged_overlong_length(self):
        c = self.bad_client("abridged")
        c.send_raw(b"\xef\x7f\x04\x00\x00" + payload(16, 5))  # 4 words in the long form
        self.expect_closed(c)

    def test_abridged_zero_length(self):
        c = self.bad_client("abridged")
        c.send_raw(b"\xef\x00" + payload(16, 5))
        got = c.wait_closed(timeout=8)
        self.assertNotIn(("packet",), [u[:1] for u in got])
        self.good_round(3)


for _transport in codecs.ALL:
    def _make(name, transport):
        def test(self):
            getattr(self, "_" + name)(transport)
        test.__name__ = "test_%s_%s" % (name, transport)
        setattr(Malformed, test.__name__, test)
    _make("oversize", _transport)
    _make("truncated", _transport)


if __name__ == "__main__":
    unittest.main()
