"""A test MTProto upstream speaking intermediate (server side), one thread per connection.

It answers each packet:
  - quick ack requested: first the token 0x80000000 | LE u32 of the payload's first 4
    bytes (raw LE, as intermediate sends it), so a test can check the re-encoded token;
  - payload starting b"ERR4": transport error -404;
  - payload starting b"CLOS": closes the connection;
  - payload starting b"QUIE", or with b"HOLD" at offset 8 (after an auth_key_id): no answer;
  - b"PUSH" at offset 8: the usual answer, then 300 ms later a second packet,
    pushed_for(payload), that starts with the same auth_key_id (a server-initiated message);
  - otherwise: the packet b"ANS!" + payload reversed.
"""
import socket
import struct
import threading
import time

TAG = b"\xee\xee\xee\xee"


def token_for(payload):
    return 0x80000000 | struct.unpack_from("<I", payload)[0]


def answer_for(payload):
    return b"ANS!" + payload[::-1]


def pushed_for(payload):
    return payload[:8] + b"PUSHED!!" + payload[16:]


def _recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


class Upstream:
    def __init__(self, host="127.0.0.1"):
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind((host, 0))
        self.server.listen(128)
        self.port = self.server.getsockname()[1]
        self.address = "%s:%d" % (host, self.port)
        self.lock = threading.Lock()
        self.accepted = 0
        self.packets = 0
        self.quick_acks = 0
        self.bad = []  # protocol problems seen from the relay
        self.conns = []
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.accepted += 1
                self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            if _recv_exact(conn, 4) != TAG:
                with self.lock:
                    self.bad.append("bad tag")
                return
            while True:
                word = struct.unpack("<I", _recv_exact(conn, 4))[0]
                quick_ack = bool(word & 0x80000000)
                length = word & 0x7FFFFFFF
                if length == 0 or length % 4 or length > (16 << 20):
                    with self.lock:
                        self.bad.append("bad length %d" % length)
                    return
                payload = _recv_exact(conn, length)
                with self.lock:
                    self.packets += 1
                    self.quick_acks += quick_ack
                out = b""
                if quick_ack:
                    out += struct.pack("<I", token_for(payload))
                if payload.startswith(b"ERR4"):
                    conn.sendall(out + struct.pack("<Ii", 4, -404))
                    continue
                if payload.startswith(b"CLOS"):
                    if out:
                        conn.sendall(out)
                    return
                if not payload.startswith(b"QUIE") and payload[8:12] != b"HOLD":
                    answer = answer_for(payload)
                    out += struct.pack("<I", len(answer)) + answer
                if out:
                    conn.sendall(out)
                if payload[8:12] == b"PUSH":
                    time.sleep(0.3)
                    pushed = pushed_for(payload)
                    conn.sendall(struct.pack("<I", len(pushed)) + pushed)
        except (EOFError, OSError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self):
        self.stopping = True
        try:
            self.server.close()
        except OSError:
            pass
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                c.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
