"""A bounded hostile load against one mtedge listener, run as its own process so that its work
never slows the well-behaved clients of the test that starts it:

    python3 -m support.hostile --port P --rsa-key PEM --seconds S [--slow N] [--garbage N] [--handshakes N]
                               [--containers N]

Every attack stops by itself after S seconds and the process prints one JSON line of counters.
Attack sources are loopback addresses other than 127.0.0.1 (Linux routes all of 127/8 to lo),
so the slow connections come from thousands of addresses and the well-behaved clients keep
127.0.0.1 to themselves. Loopback sources are exempt from the per-source caps by default
(gateway.limit_loopback_sources), so against the default config this load meets the
deadlines and eviction, not the per-source caps (their unit tests cover those):

- slow:       N connections, each from its own address in 127.1/16, that send an abridged
              header announcing a 1 MiB first packet and then trickle one byte a second;
- garbage:    N loops from 127.2.0.x that connect, send random bytes and wait for the close;
- handshakes: N loops from 127.3.0.x doing the whole DH key exchange again and again
              (Telethon's own authenticator: RSA, then both modular exponentiations);
- containers: N loops from 127.4.0.x that make one auth key, then send msg_containers of
              1024 items, each gzip_packed(gzip_packed(1 MiB of zeros)), about 100 KB a packet.
"""
import argparse
import asyncio
import gzip
import json
import logging
import os
import resource
import struct
import sys
import time

from support import keys
from telethon.crypto import AuthKey
from telethon.network.authenticator import do_authentication
from telethon.network.connection import ConnectionTcpIntermediate
from telethon.network.mtprotoplainsender import MTProtoPlainSender
from telethon.network.mtprotostate import MTProtoState
from telethon.tl.tlobject import TLObject

logging.getLogger("telethon").setLevel(logging.CRITICAL)
HOST = "127.0.0.1"
COUNTS = {"slow_opened": 0, "slow_closed_by_server": 0, "slow_refused": 0, "garbage": 0,
          "handshakes": 0, "handshake_errors": 0, "containers_sent": 0, "container_errors": 0}


class Loggers(dict):
    def __missing__(self, key):
        return logging.getLogger(key)


def source(net, i):
    """The i-th attacker address of a /16 under 127.<net>."""
    return "127.%d.%d.%d" % (net, 1 + i // 250, 1 + i % 250)


async def open_from(src, port):
    return await asyncio.open_connection(HOST, port, local_addr=(src, 0))


async def slow_one(i, port, deadline):
    try:
        reader, writer = await open_from(source(1, i), port)
    except OSError:
        COUNTS["slow_refused"] += 1
        return
    COUNTS["slow_opened"] += 1
    try:
        writer.write(b"\xef\x7f\x00\x00\x04")  # abridged, first packet of 1 MiB announced
        await writer.drain()
        while time.monotonic() < deadline:
            try:
                data = await asyncio.wait_for(reader.read(1), 1.0)
                if not data:
                    COUNTS["slow_closed_by_server"] += 1
                    return
            except asyncio.TimeoutError:
                pass
            writer.write(b"\x00")
            await writer.drain()
    except OSError:
        COUNTS["slow_closed_by_server"] += 1
    finally:
        writer.close()


async def garbage_loop(i, port, deadline):
    while time.monotonic() < deadline:
        try:
            reader, writer = await open_from(source(2, i), port)
            writer.write(os.urandom(64 + (i * 977) % 4000))
            await writer.drain()
            await asyncio.wait_for(reader.read(), 3.0)
            writer.close()
            COUNTS["garbage"] += 1
        except (OSError, asyncio.TimeoutError):
            await asyncio.sleep(0.05)


async def new_key(port, src, timeout=10):
    """A fresh auth key by the whole DH exchange over intermediate, from address `src`."""
    conn = ConnectionTcpIntermediate(HOST, port, 2, loggers=Loggers(), local_addr=(src, 0))
    await conn.connect(timeout=timeout)
    try:
        key, offset = await asyncio.wait_for(do_authentication(MTProtoPlainSender(
            conn, loggers=Loggers())), timeout)
        return key, offset
    finally:
        await conn.disconnect()


async def handshake_loop(i, port, deadline):
    while time.monotonic() < deadline:
        try:
            await new_key(port, source(3, i))
            COUNTS["handshakes"] += 1
        except Exception:  # -429, closes, timeouts: the caps at work
            COUNTS["handshake_errors"] += 1
            await asyncio.sleep(0.1)


def tl_bytes(data):
    return TLObject.serialize_bytes(data)


def bomb_container(state):
    """One msg_container of 1024 items, each gzip_packed(gzip_packed(1 MiB of zeros))."""
    inner = struct.pack("<I", 0x3072CFA1) + tl_bytes(gzip.compress(bytes(1 << 20), 9))
    item_body = struct.pack("<I", 0x3072CFA1) + tl_bytes(gzip.compress(inner, 9))
    items = []
    for _ in range(1024):
        msg_id = state._get_new_msg_id()
        items.append(struct.pack("<qii", msg_id, state._get_seq_no(True), len(item_body)))
        items.append(item_body)
    body = struct.pack("<Ii", 0x73F1F8DC, 1024) + b"".join(items)
    message = struct.pack("<qii", state._get_new_msg_id(), state._get_seq_no(False), len(body))
    return state.encrypt_message_data(message + body)


async def learn_salt(state, reader, writer):
    """Sends a ping under salt 0 and returns the new_server_salt of the bad_server_salt answer."""
    ping = struct.pack("<Iq", 0x7ABE77EC, 1)
    message = struct.pack("<qii", state._get_new_msg_id(), state._get_seq_no(True), len(ping))
    packet = state.encrypt_message_data(message + ping)
    writer.write(struct.pack("<i", len(packet)) + packet)
    await writer.drain()
    for _ in range(4):
        length = struct.unpack("<i", await asyncio.wait_for(reader.readexactly(4), 10))[0]
        answer = state.decrypt_message_data(await reader.readexactly(length))
        if hasattr(answer.obj, "new_server_salt"):
            return answer.obj.new_server_salt
    raise RuntimeError("no bad_server_salt answer")


async def container_loop(i, port, deadline):
    while time.monotonic() < deadline:
        try:
            key, offset = await new_key(port, source(4, i))
            state = MTProtoState(AuthKey(key.key), Loggers())
            state.time_offset = offset
            reader, writer = await open_from(source(4, i), port)
            writer.write(b"\xee\xee\xee\xee")  # intermediate
            state.salt = await learn_salt(state, reader, writer)
            while time.monotonic() < deadline:
                packet = bomb_container(state)
                writer.write(struct.pack("<i", len(packet)) + packet)
                await writer.drain()
                COUNTS["containers_sent"] += 1
                await asyncio.sleep(0.5)
        except Exception:
            COUNTS["container_errors"] += 1
            await asyncio.sleep(0.2)


async def main(args):
    deadline = time.monotonic() + args.seconds
    tasks = []
    for i in range(args.slow):
        tasks.append(asyncio.create_task(slow_one(i, args.port, deadline)))
        if i % 200 == 199:
            await asyncio.sleep(0.01)  # the listen backlog is finite
    tasks += [asyncio.create_task(garbage_loop(i, args.port, deadline)) for i in range(args.garbage)]
    tasks += [asyncio.create_task(handshake_loop(i, args.port, deadline))
              for i in range(args.handshakes)]
    tasks += [asyncio.create_task(container_loop(i, args.port, deadline))
              for i in range(args.containers)]
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), args.seconds + 30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--slow", type=int, default=0)
    parser.add_argument("--garbage", type=int, default=0)
    parser.add_argument("--handshakes", type=int, default=0)
    parser.add_argument("--containers", type=int, default=0)
    parser.add_argument("--rsa-key", required=True, help="the server's private key (PEM)")
    parsed = parser.parse_args()
    keys.register_public_key(parsed.rsa_key)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        asyncio.run(main(parsed))
    finally:
        print(json.dumps(COUNTS))
        sys.stdout.flush()
