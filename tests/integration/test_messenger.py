"""The embedded messenger end to end with Telethon 1.25's stock TelegramClient (layer 144),
against mtedge running conf/mtedge.toml (what `make run` runs) with only its port, key and
file paths changed: two clients sign up with test numbers (99966XYYYY, code = this_dc five
times) through client.start(), one finds the other by username (contacts.resolveUsername)
and by phone (contacts.importContacts, then get_entity("+phone") from contacts.getContacts),
they exchange messages, the receiver's events.NewMessage handler fires for each, and
get_messages shows both directions in order from both sides. A resend with the same
random_id yields the same message, and catch_up() (updates.getDifference) ends. A client
that was offline gets what it missed from updates.getDifference, once.
"""
import asyncio
import logging
import os
import re
import time
import unittest
import urllib.request

import base  # noqa: F401  (puts support/ on the path)
from support import gateway, net
from telethon import TelegramClient, events, functions
from telethon.network import connection as tc
from telethon.sessions import MemorySession
from telethon.tl.types import InputPhoneContact
from test_embedded import EmbeddedCase, run

logging.getLogger("telethon").setLevel(logging.ERROR)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
THIS_DC = 2
CODE = str(THIS_DC) * 5


def default_config(port, admin_port, rsa_key, key_file, state_file=None):
    """conf/mtedge.toml with the listener, admin and advertised ports, the key paths and the
    state log (default: next to the key file) replaced; everything else as shipped."""
    if state_file is None:
        state_file = os.path.join(os.path.dirname(key_file), "messenger_state.log")
    with open(os.path.join(REPO, "conf", "mtedge.toml")) as f:
        text = f.read()
    replacements = [
        ('"0.0.0.0:8888"', '"127.0.0.1:%d"' % port),
        ('advertised_port = 8888', 'advertised_port = %d' % port),
        ('"../var/rsa_private.pem"', '"%s"' % rsa_key),
        ('"../var/auth_keys.bin"', '"%s"' % key_file),
        ('"../var/messenger_state.log"', '"%s"' % state_file),
        ('"127.0.0.1:9380"', '"127.0.0.1:%d"' % admin_port),
    ]
    for old, new in replacements:
        if old not in text:
            raise AssertionError("conf/mtedge.toml no longer has %s" % old)
        text = text.replace(old, new)
    if not re.search(r"^this_dc = %d$" % THIS_DC, text, re.M):
        raise AssertionError("conf/mtedge.toml's this_dc is not %d" % THIS_DC)
    return text


def set_key(text, key, value):
    """Config text with its `key = ...` line set to `value` (it must be there)."""
    line = "\n%s = " % key
    if line not in text:
        raise AssertionError("conf/mtedge.toml no longer sets %s" % key)
    start = text.index(line) + len(line)
    return text[:start] + str(value) + text[text.index("\n", start):]


class MessengerCase(EmbeddedCase):
    """mtedge with conf/mtedge.toml (edited by configure()) per test class, and Telethon
    clients signed in to it."""

    @classmethod
    def configure(cls, text):
        """The config text the gateway runs with (subclasses change keys here)."""
        return text

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.port = net.free_port()
        cls.admin_port = net.free_port()
        config = cls.configure(
            default_config(cls.port, cls.admin_port, cls.rsa_key, cls.key_file))
        cls.gw = gateway.Gateway(config, cls.port)
        cls.gw.start()
        # The port answered; make sure it is this mtedge's listener and not another process
        # that took the port meanwhile.
        deadline = time.monotonic() + 15
        while ": 127.0.0.1:%d on " % cls.port not in cls.gw.output():
            if time.monotonic() > deadline or not cls.gw.alive():
                cls.stop_class_gateway(show_log=True)
                raise AssertionError("mtedge is not listening on %d" % cls.port)
            time.sleep(0.05)

    @classmethod
    def tearDownClass(cls):
        cls.stop_class_gateway()

    def metric(self, sample):
        """The value of `sample` (a name with its labels, as /metrics writes it)."""
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.admin_port,
                                    timeout=10) as response:
            text = response.read().decode()
        for line in text.splitlines():
            if line.startswith(sample + " "):
                return float(line.split()[-1])
        raise AssertionError("/metrics has no %s" % sample)

    def client(self):
        session = MemorySession()
        session.set_dc(THIS_DC, "127.0.0.1", self.port)
        # connection_retries=1: Telethon itself fails about one key exchange in 256.
        return TelegramClient(session, 1, "0" * 32, connection=tc.ConnectionTcpFull,
                              connection_retries=1, retry_delay=0, request_retries=2,
                              timeout=10)

    async def start(self, phone, first_name):
        client = self.client()
        await client.start(phone=phone, code_callback=lambda: CODE, first_name=first_name)
        me = await client.get_me()
        self.assertEqual(me.phone, phone.lstrip("+"))
        self.assertEqual(me.first_name, first_name)
        return client, me


class MessengerWithTelethon(MessengerCase):
    def test_two_clients_find_each_other_and_exchange_messages(self):
        async def scenario():
            alice, alice_me = await self.start("+9996621001", "Alice")
            bob, bob_me = await self.start("+9996621002", "Bob")
            try:
                received = {"alice": asyncio.Queue(), "bob": asyncio.Queue()}

                @bob.on(events.NewMessage(incoming=True))
                async def on_bob(event):
                    await received["bob"].put((event.sender_id, event.raw_text))

                @alice.on(events.NewMessage(incoming=True))
                async def on_alice(event):
                    await received["alice"].put((event.sender_id, event.raw_text))

                # Bob takes a username; Alice finds him by it.
                await bob(functions.account.UpdateUsernameRequest("bob_the_tester"))
                bob_for_alice = await alice.get_entity("bob_the_tester")
                self.assertEqual(bob_for_alice.id, bob_me.id)
                # Bob finds Alice by phone: import the contact, then look it up.
                await bob(functions.contacts.ImportContactsRequest([
                    InputPhoneContact(
                        client_id=1, phone="+9996621001", first_name="Alice", last_name="")]))
                alice_for_bob = await bob.get_entity("+9996621001")
                self.assertEqual(alice_for_bob.id, alice_me.id)

                sent = await alice.send_message(bob_for_alice, "hello bob")
                self.assertEqual(sent.id, 1)
                self.assertEqual(await asyncio.wait_for(received["bob"].get(), 10),
                                 (alice_me.id, "hello bob"))
                await bob.send_message(alice_for_bob, "hi alice")
                self.assertEqual(await asyncio.wait_for(received["alice"].get(), 10),
                                 (bob_me.id, "hi alice"))
                await alice.send_message(bob_for_alice, "**bold** move")
                self.assertEqual(await asyncio.wait_for(received["bob"].get(), 10),
                                 (alice_me.id, "bold move"))

                # History, newest first, both directions, on both sides.
                history = await alice.get_messages(bob_for_alice, limit=10)
                self.assertEqual([(m.out, m.raw_text) for m in history],
                                 [(True, "bold move"), (False, "hi alice"), (True, "hello bob")])
                self.assertEqual(len(history[0].entities or []), 1)
                history = await bob.get_messages(alice_for_bob, limit=10)
                self.assertEqual([(m.out, m.raw_text) for m in history],
                                 [(False, "bold move"), (True, "hi alice"), (False, "hello bob")])
                dialogs = await bob.get_dialogs()
                self.assertEqual([d.entity.id for d in dialogs], [alice_me.id])
                self.assertEqual(dialogs[0].unread_count, 2)

                # The same random_id again: the server returns the first message, not a new one.
                peer = await alice.get_input_entity(bob_for_alice)
                request = functions.messages.SendMessageRequest(peer, "once", random_id=4242)
                first = await alice(request)
                again = await alice(functions.messages.SendMessageRequest(peer, "once",
                                                                          random_id=4242))
                self.assertEqual((first.id, first.pts), (again.id, again.pts))
                self.assertEqual(await asyncio.wait_for(received["bob"].get(), 10),
                                 (alice_me.id, "once"))
                history = await bob.get_messages(alice_for_bob, limit=10)
                self.assertEqual([m.raw_text for m in history].count("once"), 1)

                # Reading marks Alice's messages read; getDifference terminates.
                await bob.send_read_acknowledge(alice_for_bob)
                await asyncio.wait_for(bob.catch_up(), 10)
                await asyncio.wait_for(alice.catch_up(), 10)
                state = await bob(functions.updates.GetStateRequest())
                self.assertEqual(state.unread_count, 0)
                self.assertTrue(received["bob"].empty())
            finally:
                await alice.disconnect()
                await bob.disconnect()

        run(scenario())

    def test_offline_client_catches_up_through_get_difference(self):
        async def scenario():
            alice, alice_me = await self.start("+9996621003", "Carol")
            bob, bob_me = await self.start("+9996621004", "Dave")
            try:
                received = asyncio.Queue()

                @bob.on(events.NewMessage(incoming=True))
                async def on_bob(event):
                    await received.put(event.raw_text)

                await bob(functions.account.UpdateUsernameRequest("dave_offline"))
                dave = await alice.get_entity("dave_offline")
                await alice.send_message(dave, "while online")
                self.assertEqual(await asyncio.wait_for(received.get(), 10), "while online")
                # Nothing is pushed to a session without a connection: Bob learns of these only
                # from updates.getDifference after he is back.
                await bob.disconnect()
                await asyncio.sleep(0.5)  # the server has seen the connection close
                for text in ("missed 1", "missed 2", "missed 3"):
                    await alice.send_message(dave, text)
                await bob.connect()
                await asyncio.wait_for(bob.catch_up(), 10)
                got = [await asyncio.wait_for(received.get(), 10) for _ in range(3)]
                self.assertEqual(sorted(got), ["missed 1", "missed 2", "missed 3"])
                # Up to date now: another getDifference brings nothing twice.
                await asyncio.wait_for(bob.catch_up(), 10)
                await alice.send_message(dave, "after")
                self.assertEqual(await asyncio.wait_for(received.get(), 10), "after")
                self.assertTrue(received.empty())
            finally:
                await alice.disconnect()
                await bob.disconnect()

        run(scenario())


if __name__ == "__main__":
    unittest.main()
