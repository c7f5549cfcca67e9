"""The real mtedge binary with the relay backend in front of a test upstream (intermediate).

For each client transport: frames with and without quick ack, answers in the client's own
transport, quick-ack tokens re-encoded for it, 1 MiB frames, many frames per write, one
frame split over many writes, upstream transport errors and closes passed down, and
backpressure with bounded memory.
"""
import os
import threading
import time
import unittest

from base import GatewayTestCase
from support import codecs, gateway
from support.client import Client
from support.upstream import answer_for, token_for

# How each transport carries the upstream's quick-ack token back to the client.
ACK_FORMS = {"abridged": {"raw-be"}, "intermediate": {"raw-le"}, "padded": {"raw-le", "framed"}}


def payload(size, seed):
    return bytes((seed + i * 7) & 0xFF for i in range(size))


class RelayTransports(GatewayTestCase):
    def client(self, transport, seed=1):
        c = Client(self.port, transport, seed=seed)
        self.addCleanup(c.close)
        return c

    def expect_answer(self, c, sent, quick_ack=False):
        if quick_ack and c.codec.has_quick_ack:
            unit = c.read_unit()
            self.assertEqual(unit[0], "ack", unit)
            self.assertEqual(unit[1], token_for(sent))
            self.assertIn(unit[2], ACK_FORMS[c.codec.name])
        got = c.read_packet()
        if c.codec.name == "padded":
            # Padded intermediate: the server keeps tlen & ~3 bytes, so 4..15 bytes of random
            # padding reach the upstream as up to 12 trailing bytes, which the MTProto layer
            # ignores (docs/spec/wire-notes.md §1.3). The upstream reverses them in front.
            self.assertEqual(got[:4], b"ANS!")
            body = got[4:][::-1]
            self.assertEqual(body[:len(sent)], sent)
            self.assertIn(len(body) - len(sent), (0, 4, 8, 12))
        else:
            self.assertEqual(got, answer_for(sent))

    def check_frames(self, transport):
        c = self.client(transport)
        a, b, d = payload(64, 1), payload(256, 2), payload(16, 3)
        c.send(a)
        self.expect_answer(c, a)
        c.send(b, quick_ack=True)
        self.expect_answer(c, b, quick_ack=True)
        c.send(d)
        self.expect_answer(c, d)
        if not c.codec.has_quick_ack:
            # Full has no quick-ack form: the request is accepted, no token comes back.
            c.send(d, quick_ack=True)
            self.assertEqual(c.read_packet(), answer_for(d))

    def check_large(self, transport):
        c = self.client(transport)
        big = payload(1 << 20, 4)
        c.send(big)
        self.expect_answer(c, big)
        big2 = payload((1 << 20) - 4, 5)
        c.send(big2, quick_ack=True)
        self.expect_answer(c, big2, quick_ack=True)

    def check_many_per_write(self, transport):
        c = self.client(transport)
        sent = [(payload(16 + 4 * (i % 50), i), i % 4 == 0) for i in range(200)]
        c.send_raw(b"".join(c.frame_bytes(p, qa) for p, qa in sent))
        for p, qa in sent:
            self.expect_answer(c, p, quick_ack=qa)

    def check_split(self, transport):
        c = self.client(transport)
        first = payload(600, 6)
        # The tag and the first frame arrive a few bytes at a time.
        c.send_split(c.frame_bytes(first, True), chunk=3)
        self.expect_answer(c, first, quick_ack=True)
        second = payload(4096, 7)
        c.send_split(c.frame_bytes(second), chunk=97, pause=0.001)
        self.expect_answer(c, second)

    def check_upstream_error(self, transport):
        c = self.client(transport)
        c.send(b"ERR4" + payload(28, 8))
        units = c.wait_closed()
        self.assertEqual(units, [("error", -404)])

    def check_upstream_close(self, transport):
        c = self.client(transport)
        other = self.client(transport, seed=2)
        c.send(b"CLOS" + payload(28, 9))
        self.assertEqual(c.wait_closed(), [])
        p = payload(32, 10)
        other.send(p)
        self.expect_answer(other, p)

def _add(name, transport):
    def test(self):
        getattr(self, "check_" + name)(transport)
    test.__name__ = "test_%s_%s" % (name, transport)
    setattr(RelayTransports, test.__name__, test)


for _transport in codecs.ALL:
    for _name in ("frames", "large", "many_per_write", "split", "upstream_error", "upstream_close"):
        _add(_name, _transport)


class Backpressure(GatewayTestCase):
    """Backpressure with bounded memory, in a process of its own so that RSS is its alone.
    A sanitizer build keeps freed memory in quarantine, which would read as growth: the
    quarantine is off for this process (it changes nothing when ASan is not linked)."""

    gateway_env = {"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=0"}
    client = RelayTransports.client

    def check_backpressure(self, transport):
        c = self.client(transport)
        frame = payload(512 * 1024, 11)
        count = 128  # 64 MiB each way: far more than every buffer on the way together
        first = c.frame_bytes(frame)  # with the tag
        before = gateway.rss_bytes(self.gw.proc.pid)

        def send_all():
            c.sock.sendall(first)
            for _ in range(count - 1):
                c.sock.sendall(c.codec.encode(frame))

        t = threading.Thread(target=send_all, daemon=True)
        t.start()
        time.sleep(3)  # nobody reads the answers: every hop must stop and hold a bounded amount
        stalled = gateway.rss_bytes(self.gw.proc.pid)
        self.assertTrue(t.is_alive(), "the sender finished although nobody read the answers")
        self.assertLess(stalled - before, 48 << 20, "mtedge buffered without bound")
        answer = answer_for(frame)
        for i in range(count):
            self.assertEqual(c.read_packet(timeout=30), answer, "answer %d" % i)
        t.join(30)
        self.assertFalse(t.is_alive())


for _transport in ("intermediate", "abridged"):
    def _bp(transport):
        def test(self):
            self.check_backpressure(transport)
        test.__name__ = "test_backpressure_%s" % transport
        setattr(Backpressure, test.__name__, test)
    _bp(_transport)


class UpstreamDown(GatewayTestCase):
    upstream_down = True

    def test_client_closed_promptly(self):
        for transport in codecs.ALL:
            with self.subTest(transport=transport):
                c = Client(self.port, transport)
                self.addCleanup(c.close)
                start = time.monotonic()
                c.send(payload(32, 1), quick_ack=True)
                self.assertEqual(c.wait_closed(timeout=3), [])
                self.assertLess(time.monotonic() - start, 3)
        time.sleep(0.2)
        self.assertIn("upstream connect failed", self.gw.output())


if __name__ == "__main__":
    unittest.main()
