#!/usr/bin/python3
"""An example mtedge backend speaking mtedge.v1 (proto/mtedge/v1/backend.proto).

It needs only Debian's python3 and python3-protobuf, plus the Python module generated from
the schema (build/proto/python/mtedge/v1/backend_pb2.py; generated here with protoc if it
cannot be imported).

What it answers:
- decrypted frames (edge decryption on): ping -> pong, every other content-related message
  (odd seq_no) -> rpc_error 501 NOT_IMPLEMENTED, addressed to the client's session; the
  messages of a msg_container are answered one by one, service messages (msgs_ack, ...)
  not at all;
- unencrypted and encrypted (pass-through) frames: the packet echoed back to the
  connection, after a quick-ack token when the client asked for one. A real backend would
  run the handshake / the session layer here.
It asks for "auth-key-created" in its hello and logs each AuthKeyCreated (edge decryption
on: the key's id and the salt its handshake gave the client); it does not check salts.

Usage:
    backend.py --listen 127.0.0.1:9500 [--name b1] [--credit 256] [--log-frames]
    backend.py --listen /run/mtedge/backend.sock
    backend.py ... --stop-reading-after N   (a testing aid: a backend that hangs)

Flow control: it grants the gateway `--credit` frames and re-grants as it consumes them;
it spends one of the gateway's credits per message it sends and queues (in memory, this is
an example) while it has none.
"""
import argparse
import os
import signal
import socket
import socketserver
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_ROOT = os.path.join(HERE, "..", "..", "proto")


def import_schema():
    """mtedge.v1.backend_pb2 from $MTEDGE_PROTO_PYTHON, sys.path, or generated now."""
    extra = os.environ.get("MTEDGE_PROTO_PYTHON")
    if extra and extra not in sys.path:
        sys.path.insert(0, extra)
    try:
        from mtedge.v1 import backend_pb2
        return backend_pb2
    except ImportError:
        pass
    out = tempfile.mkdtemp(prefix="mtedge-proto-")
    subprocess.run(["protoc", "--python_out=" + out, "-I", PROTO_ROOT,
                    os.path.join(PROTO_ROOT, "mtedge", "v1", "backend.proto")], check=True)
    sys.path.insert(0, out)
    from mtedge.v1 import backend_pb2
    return backend_pb2


pb = import_schema()

LOG_LOCK = threading.Lock()
PROTOCOL_VERSION = 1
MAX_MESSAGE = 16 << 20

# TL constructors used by the decrypted mode.
PING = 0x7ABE77EC
PING_DELAY_DISCONNECT = 0xF3427B8C
PONG = 0x347773C5
MSG_CONTAINER = 0x73F1F8DC
RPC_RESULT = 0xF35C6D01
RPC_ERROR = 0x2144CA19


def tl_string(data):
    if len(data) < 254:
        out = bytes([len(data)]) + data
    else:
        out = b"\xfe" + struct.pack("<I", len(data))[:3] + data
    return out + b"\x00" * (-len(out) % 4)


def unpack_messages(msg_id, seq_no, body):
    """(msg_id, seq_no, body) of each message: the inner ones of a msg_container, else the
    message itself. A malformed container yields what it holds up to the damage."""
    if len(body) < 8 or struct.unpack_from("<I", body)[0] != MSG_CONTAINER:
        return [(msg_id, seq_no, body)]
    count = struct.unpack_from("<i", body, 4)[0]
    out, pos = [], 8
    for _ in range(max(0, count)):
        if pos + 16 > len(body):
            break
        inner_id, inner_seq, size = struct.unpack_from("<qii", body, pos)
        pos += 16
        if size < 0 or pos + size > len(body):
            break
        out.append((inner_id, inner_seq, body[pos:pos + size]))
        pos += size
    return out


class Stream:
    """One gateway worker's connection: a blocking reader, replies written under a lock."""

    def __init__(self, sock, name, credit, log_frames, stop_reading_after=None):
        self.sock = sock
        self.stop_reading_after = stop_reading_after
        self.frames = 0
        self.name = name
        self.window = credit
        self.log_frames = log_frames
        self.lock = threading.Lock()
        self.send_credit = 0     # messages the gateway lets us send
        self.waiting = []        # messages queued while send_credit is 0
        self.consumed = 0        # frames taken since our last grant
        self.last_msg_id = 0
        self.seq = {}

    # ---- framing
    def read_exact(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return bytes(buf)

    def read_message(self):
        shift, length = 0, 0
        for _ in range(5):
            b = self.read_exact(1)[0]
            length |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        else:
            raise ValueError("bad length prefix")
        if length > MAX_MESSAGE:
            raise ValueError("message of %d bytes" % length)
        message = pb.GatewayMessage()
        message.ParseFromString(self.read_exact(length))
        return message

    def write(self, message, costs_credit=True):
        with self.lock:
            if costs_credit:
                if self.send_credit == 0:
                    self.waiting.append(message)
                    return
                self.send_credit -= 1
            self._write(message)

    def _write(self, message):
        data = message.SerializeToString()
        prefix = bytearray()
        n = len(data)
        while n >= 0x80:
            prefix.append((n & 0x7F) | 0x80)
            n >>= 7
        prefix.append(n)
        self.sock.sendall(bytes(prefix) + data)

    def add_credit(self, n):
        with self.lock:
            self.send_credit += n
            while self.waiting and self.send_credit > 0:
                self.send_credit -= 1
                self._write(self.waiting.pop(0))

    def consumed_one(self):
        self.consumed += 1
        if self.consumed >= max(1, self.window // 2):
            grant = pb.BackendMessage()
            grant.credit.messages = self.consumed
            self.consumed = 0
            self.write(grant, costs_credit=False)

    # ---- the protocol
    def run(self):
        hello = self.read_message()
        if hello.WhichOneof("kind") != "hello":
            raise ValueError("first message is not hello")
        h = hello.hello
        if not h.min_version <= PROTOCOL_VERSION <= h.max_version:
            raise ValueError("no common protocol version")
        self.send_credit = h.initial_credit
        ack = pb.BackendMessage()
        ack.hello.version = PROTOCOL_VERSION
        ack.hello.backend_id = self.name
        ack.hello.initial_credit = self.window
        ack.hello.capabilities.append("auth-key-created")
        self.write(ack, costs_credit=False)
        self.log("hello gateway=%s worker=%d" % (h.gateway_id, h.worker))
        while True:
            message = self.read_message()
            kind = message.WhichOneof("kind")
            if kind == "frame":
                self.on_frame(message.frame)
                self.consumed_one()
                self.frames += 1
                if self.stop_reading_after is not None and self.frames >= self.stop_reading_after:
                    self.log("stopped reading")
                    threading.Event().wait()  # hang: never read again
            elif kind == "credit":
                self.add_credit(message.credit.messages)
            elif kind == "conn_opened":
                info = message.conn_opened.info
                self.log("open conn=%x transport=%s" % (info.conn_id, info.transport))
            elif kind == "conn_closed":
                self.log("closed conn=%x reason=%d" % (message.conn_closed.conn_id,
                                                       message.conn_closed.reason))
            elif kind == "undelivered":
                self.log("undelivered ref=%d" % message.undelivered.ref)
            elif kind == "auth_key_created":
                # A backend that checks salts accepts this one for the key's first messages.
                created = message.auth_key_created
                self.log("auth_key_created key=%016x salt=%016x" % (
                    created.auth_key_id, created.server_salt & (2**64 - 1)))

    def on_frame(self, frame):
        salt = ""
        if frame.kind == pb.FRAME_KIND_DECRYPTED:
            salt = " salt=%016x" % (frame.decrypted.salt & (2**64 - 1))
        self.log("frame conn=%x key=%016x kind=%s size=%d%s" % (
            frame.conn_id, frame.auth_key_id, pb.FrameKind.Name(frame.kind),
            len(frame.packet) or len(frame.decrypted.body), salt))
        if frame.kind == pb.FRAME_KIND_DECRYPTED:
            self.answer_decrypted(frame)
            return
        if frame.quick_ack:
            ack = pb.BackendMessage()
            ack.quick_ack.conn_id = frame.conn_id
            ack.quick_ack.token = zlib.crc32(frame.packet) | 0x80000000
            self.write(ack)
        reply = pb.BackendMessage()
        reply.frame.conn_id = frame.conn_id
        reply.frame.packet = frame.packet
        self.write(reply)

    def answer_decrypted(self, frame):
        d = frame.decrypted
        for msg_id, seq_no, body in unpack_messages(d.msg_id, d.seq_no, d.body):
            answer = self.answer_message(msg_id, seq_no, body)
            if answer is not None:
                self.send_message(frame.auth_key_id, d, answer)

    @staticmethod
    def answer_message(msg_id, seq_no, body):
        """The reply body for one client message, or None (service messages get none)."""
        if len(body) < 4:
            return None
        constructor = struct.unpack_from("<I", body)[0]
        if constructor in (PING, PING_DELAY_DISCONNECT) and len(body) >= 12:
            return struct.pack("<Iq", PONG, msg_id) + body[4:12]
        if seq_no % 2 == 0:
            return None  # not content-related: msgs_ack and the like expect no answer
        return (struct.pack("<Iq", RPC_RESULT, msg_id) +
                struct.pack("<Ii", RPC_ERROR, 501) + tl_string(b"NOT_IMPLEMENTED"))

    def send_message(self, auth_key_id, d, body):
        reply = pb.BackendMessage()
        reply.frame.session.auth_key_id = auth_key_id
        reply.frame.session.session_id = d.session_id
        m = reply.frame.message
        m.salt = d.salt
        m.session_id = d.session_id
        m.msg_id = self.next_msg_id()
        m.seq_no = self.next_seq(d.session_id)
        m.body = body
        self.write(reply)

    def next_msg_id(self):
        # Server message ids: time-based, increasing, == 1 mod 4 for answers.
        msg_id = (int(time.time() * (1 << 32)) & ~3) | 1
        if msg_id <= self.last_msg_id:
            msg_id = self.last_msg_id + 4
        self.last_msg_id = msg_id
        return msg_id

    def next_seq(self, session_id):
        n = self.seq.get(session_id, 0)
        self.seq[session_id] = n + 1
        return 2 * n + 1  # content-related

    def log(self, text):
        if self.log_frames:
            with LOG_LOCK:  # streams run on their own threads: one whole line at a time
                sys.stdout.write("%s %s\n" % (self.name, text))
                sys.stdout.flush()


def make_server(listen, name, credit, log_frames, stop_reading_after=None):
    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            stream = Stream(self.request, name, credit, log_frames, stop_reading_after)
            try:
                stream.run()
            except (EOFError, ConnectionError):
                pass
            except ValueError as e:
                print("%s protocol error: %s" % (name, e), file=sys.stderr, flush=True)

    if listen.startswith("/"):
        if os.path.exists(listen):
            os.unlink(listen)
        server_class = socketserver.ThreadingUnixStreamServer
        address = listen
    else:
        host, port = listen.rsplit(":", 1)
        server_class = socketserver.ThreadingTCPServer
        server_class.allow_reuse_address = True
        address = (host.strip("[]"), int(port))
    server_class.daemon_threads = True
    server = server_class(address, Handler)
    if not listen.startswith("/"):
        server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return server


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, help="host:port or a Unix socket path")
    parser.add_argument("--name", default="example", help="backend id sent in the hello")
    parser.add_argument("--credit", type=int, default=256, help="frames granted to the gateway")
    parser.add_argument("--log-frames", action="store_true", help="print one line per event")
    parser.add_argument("--stop-reading-after", type=int, default=None, metavar="N",
                        help="testing aid: stop reading a stream after N frames")
    args = parser.parse_args()
    server = make_server(args.listen, args.name, args.credit, args.log_frames,
                         args.stop_reading_after)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print("%s listening on %s" % (args.name, args.listen), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
