"""The `make run` default (conf/mtedge.toml, only its addresses and paths changed) under a
bounded hostile load while real Telethon clients work. The load runs in its own process
(support/hostile.py) from loopback addresses other than 127.0.0.1, as many hosts would:

- thousands of slow connections that announce a 1 MiB first packet and trickle a byte a second
  (more than max_connections allows, unless HOSTILE_SLOW says otherwise);
- loops of garbage connections;
- a DH handshake flood (the whole exchange, again and again);
- msg_containers of 1024 double-gzip_packed items under a valid auth key.

Meanwhile the well-behaved clients, from 127.0.0.1: four stock Telethon clients that made
their keys before the load keep pinging, and a new client (a new DH handshake) connects and
pings every two seconds. Every one of them is served: connects succeed, every ping is answered
(each within a generous bound, so a stalled worker fails the test; no latency is asserted).
mtedge stays alive, answers SIGTERM with a clean exit, and its resident memory stays under
gateway.max_memory_bytes of the default plus a fixed allowance for the process itself (not
checked in sanitizer builds, whose shadow memory is not the gateway's).
"""
import asyncio
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import base  # noqa: F401  (puts support/ on the path)
from support import gateway, net
from support.keys import make_rsa_key
from telethon import TelegramClient
from telethon.network import connection as tc
from telethon.sessions import MemorySession
from telethon.tl.functions import PingRequest

logging.getLogger("telethon").setLevel(logging.CRITICAL)

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CONFIG = os.path.join(HERE, "..", "..", "conf", "mtedge.toml")
SECONDS = float(os.environ.get("HOSTILE_SECONDS", "30"))
SLOW = int(os.environ.get("HOSTILE_SLOW", "10500"))
PING_BOUND_S = 15.0    # a ping slower than this means a stalled worker
PROCESS_ALLOWANCE = 256 << 20  # code, libraries, per-worker tables: beyond the buffer budget


def default_config(port, admin_port, rsa_key, key_file):
    """conf/mtedge.toml with the listener, admin and advertised ports and the var/ paths
    replaced (the state log next to the key file); every limit is the default's."""
    state_file = os.path.join(os.path.dirname(key_file), "messenger_state.log")
    with open(DEFAULT_CONFIG) as f:
        text = f.read()
    replacements = [
        (r'address = "0\.0\.0\.0:8888"', 'address = "127.0.0.1:%d"' % port),
        (r'advertised_port = 8888', 'advertised_port = %d' % port),
        (r'rsa_private_keys = \["\.\./var/rsa_private\.pem"\]', 'rsa_private_keys = ["%s"]' % rsa_key),
        (r'auth_key_file = "\.\./var/auth_keys\.bin"', 'auth_key_file = "%s"' % key_file),
        (r'state_file = "\.\./var/messenger_state\.log"', 'state_file = "%s"' % state_file),
        (r'address = "127\.0\.0\.1:9380"', 'address = "127.0.0.1:%d"' % admin_port),
    ]
    for pattern, value in replacements:
        text, n = re.subn(pattern, value, text)
        if n != 1:
            raise AssertionError("conf/mtedge.toml no longer has %s" % pattern)
    return text


def config_value(text, table, key):
    """An integer `key` of [table] in a TOML text (None when absent)."""
    section = re.search(r"^\[%s\]\n(.*?)(?=^\[)" % re.escape(table), text, re.S | re.M)
    if not section:
        return None
    match = re.search(r"^%s\s*=\s*([0-9_]+)" % re.escape(key), section.group(1), re.M)
    return int(match.group(1).replace("_", "")) if match else None


class Good:
    """The well-behaved side: counts what was asked and what failed, and why."""

    def __init__(self):
        self.connects = self.pings = 0
        self.failures = []
        self.slowest_ping = 0.0

    def fail(self, what, error):
        self.failures.append("%s: %r" % (what, error))

    async def ping(self, client, what):
        started = time.monotonic()
        try:
            pong = await asyncio.wait_for(client(PingRequest(ping_id=7)), PING_BOUND_S)
            if pong.ping_id != 7:
                self.fail(what, "wrong pong %r" % pong)
            self.pings += 1
            self.slowest_ping = max(self.slowest_ping, time.monotonic() - started)
        except Exception as e:  # noqa: BLE001 (any failure of a good client counts)
            self.fail(what, e)


async def connect(port, connection):
    session = MemorySession()
    session.set_dc(2, "127.0.0.1", port)
    client = TelegramClient(session, 1, "0" * 32, connection=connection, connection_retries=1,
                            retry_delay=0, auto_reconnect=False, request_retries=1, timeout=15,
                            receive_updates=False)
    await asyncio.wait_for(client.connect(), 45)
    return client


class HostileLoad(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mtedge-hostile-")
        self.rsa_key = make_rsa_key(self.dir)
        self.port = net.free_port()
        self.config = default_config(self.port, net.free_port(), self.rsa_key,
                                     os.path.join(self.dir, "var", "auth_keys.bin"))
        self.gw = gateway.Gateway(self.config, self.port)
        self.gw.start()

    def tearDown(self):
        code = self.gw.stop(timeout=20)
        output = self.gw.output()
        self.gw.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        if code != 0:
            sys.stderr.write("\n---- mtedge log (exit %s) ----\n%s\n" % (code, output[-20000:]))
        self.assertEqual(code, 0, "mtedge exited with %s on SIGTERM" % code)

    def test_good_clients_are_served_under_hostile_load(self):
        good = Good()
        peak_rss = [0]
        stop = threading.Event()

        def sample_rss():
            while not stop.is_set():
                if self.gw.alive():
                    peak_rss[0] = max(peak_rss[0], gateway.rss_bytes(self.gw.proc.pid))
                stop.wait(0.25)

        async def scenario():
            transports = [tc.ConnectionTcpIntermediate, tc.ConnectionTcpAbridged,
                          tc.ConnectionTcpFull, tc.ConnectionTcpObfuscated]
            established = [await connect(self.port, t) for t in transports]
            for client in established:
                await good.ping(client, "warm-up ping")
            attacker = await asyncio.create_subprocess_exec(
                sys.executable, "-B", "-m", "support.hostile", "--port", str(self.port),
                "--rsa-key", self.rsa_key, "--seconds", str(SECONDS), "--slow", str(SLOW),
                "--garbage", "40", "--handshakes", "6", "--containers", "2",
                cwd=HERE, stdout=asyncio.subprocess.PIPE)
            await asyncio.sleep(3)  # the slow connections are opening
            deadline = time.monotonic() + SECONDS - 4
            next_new = 0.0
            while time.monotonic() < deadline:
                await asyncio.gather(*(good.ping(c, "established ping") for c in established))
                if time.monotonic() >= next_new:
                    next_new = time.monotonic() + 2.0
                    try:
                        fresh = await connect(self.port, tc.ConnectionTcpIntermediate)
                        good.connects += 1
                        await good.ping(fresh, "new client ping")
                        await fresh.disconnect()
                    except Exception as e:  # noqa: BLE001
                        good.fail("new client connect", e)
                await asyncio.sleep(0.5)
            report, _ = await attacker.communicate()
            for client in established:
                await client.disconnect()
            return json.loads(report.decode().strip().splitlines()[-1])

        sampler = threading.Thread(target=sample_rss, daemon=True)
        sampler.start()
        try:
            attack = asyncio.run(asyncio.wait_for(scenario(), SECONDS + 180))
        finally:
            stop.set()
            sampler.join()
        sys.stderr.write("\nhostile load: %s\ngood clients: %d new connects, %d pings, slowest "
                         "ping %.2f s, peak RSS %d MiB\n"
                         % (attack, good.connects, good.pings, good.slowest_ping,
                            peak_rss[0] >> 20))
        self.assertTrue(self.gw.alive(), "mtedge died under the load")
        self.assertEqual(good.failures, [], "a well-behaved client was not served")
        self.assertGreater(good.connects, 3)
        # The load happened: otherwise this test proves nothing.
        self.assertGreater(attack["slow_opened"], 1000, attack)
        self.assertGreater(attack["handshakes"], 0, attack)
        self.assertGreater(attack["containers_sent"], 0, attack)
        self.assertGreater(attack["garbage"], 0, attack)
        budget = config_value(self.config, "gateway", "max_memory_bytes")
        # ASan's shadow memory and quarantine are not the gateway's: no RSS check there.
        if budget is not None and os.environ.get("MTEDGE_SANITIZED") != "1":
            self.assertLess(peak_rss[0], budget + PROCESS_ALLOWANCE,
                            "RSS above gateway.max_memory_bytes plus the process allowance")


if __name__ == "__main__":
    unittest.main()
