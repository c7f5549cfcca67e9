"""A blocking MTProto TCP client over one of the codecs, for tests."""
import socket
import ssl
import time

from . import codecs


class Closed(Exception):
    pass


class Client:
    """`stream`: an optional support.obfuscation stream (Obfuscated2 or FakeTls) that wraps
    every byte both ways; its preamble replaces the transport's tag."""

    def __init__(self, port, transport, host="127.0.0.1", seed=1, timeout=10.0, stream=None,
                 tls=None, source=None):
        """`tls`: an ssl.SSLContext to speak TLS to a `tls = true` listener; `source`: the
        local address to connect from (e.g. "127.0.0.2")."""
        self.codec = codecs.make(transport, seed)
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname="mtedge.test")
        self.stream = stream
        if stream is not None and hasattr(stream, "handshake"):
            stream.handshake(self.sock, timeout)
        self.decoder = self.codec.decoder()
        self.pending = []
        self.timeout = timeout
        self.tag_sent = False

    def _with_tag(self, data):
        if self.stream is not None:
            if not self.tag_sent:
                self.tag_sent = True
                return self.stream.preamble() + self.stream.outbound(data)
            return self.stream.outbound(data)
        if not self.tag_sent:
            self.tag_sent = True
            return self.codec.tag + data
        return data

    def frame_bytes(self, payload, quick_ack=False, **kw):
        """The wire bytes of one packet (with the tag in front if it is the first)."""
        return self._with_tag(self.codec.encode(payload, quick_ack, **kw))

    def send(self, payload, quick_ack=False):
        self.sock.sendall(self.frame_bytes(payload, quick_ack))

    def send_raw(self, data):
        self.sock.sendall(data)

    def send_split(self, data, chunk=3, pause=0.002):
        """Sends `data` in small writes with pauses, so the server sees many reads."""
        for i in range(0, len(data), chunk):
            self.sock.sendall(data[i:i + chunk])
            time.sleep(pause)

    def read_unit(self, timeout=None):
        """The next unit from the server; raises Closed on EOF or reset."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while not self.pending:
            self.pending.extend(self.decoder.units())
            if self.pending:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no unit from the server")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(1 << 20)
            except (ConnectionResetError, ssl.SSLEOFError):
                raise Closed("reset")
            if not data:
                raise Closed("eof")
            if self.stream is not None:
                data = self.stream.inbound(data)
            self.decoder.feed(data)
        return self.pending.pop(0)

    def read_packet(self, timeout=None):
        unit = self.read_unit(timeout)
        if unit[0] != "packet":
            raise AssertionError("expected a packet, got %r" % (unit[:2],))
        return unit[1]

    def wait_closed(self, timeout=5.0):
        """Reads until the server closes; returns the units received before. Raises
        TimeoutError if the connection stays open."""
        units = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("connection still open")
            try:
                units.append(self.read_unit(left))
            except Closed:
                return units

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
