"""The embedded messenger's state survives restarts, with Telethon 1.25's stock TelegramClient
against conf/mtedge.toml (its state log in a temporary var/): after a clean restart a
signed-in client's auth key still speaks for its user and the history is intact; after kill -9
in the middle of a send storm (several requests in flight), a restart and a resend of every
message whose result did not arrive (same random_id), every message whose sender got its
result is in both histories, and none is there twice.
"""
import asyncio
import os
import time
import unittest

import base  # noqa: F401  (puts support/ on the path)
from support import gateway, net
from telethon import TelegramClient, functions
from telethon.network import connection as tc
from telethon.sessions import MemorySession
from test_embedded import EmbeddedCase, run
from test_messenger import CODE, THIS_DC, default_config

STORM_SENDERS = 6  # requests in flight at once during the storm
KILL_AFTER_RESULTS = 60


class DurableState(EmbeddedCase):
    def setUp(self):
        self.port = net.free_port()
        self.config = default_config(self.port, net.free_port(), self.rsa_key, self.key_file)
        self.state_file = os.path.join(os.path.dirname(self.key_file), "messenger_state.log")
        self.gw = None

    def tearDown(self):
        if self.gw is not None:
            self.gw.stop()
            self.gw.log.close()
        # Each test starts from an empty state.
        for path in (self.state_file, self.key_file):
            if os.path.exists(path):
                os.unlink(path)

    def start(self):
        self.gw = gateway.Gateway(self.config, self.port)
        self.gw.start()
        deadline = time.monotonic() + 15
        while ": 127.0.0.1:%d on " % self.port not in self.gw.output():
            if time.monotonic() > deadline or not self.gw.alive():
                raise AssertionError("mtedge is not listening on %d:\n%s"
                                     % (self.port, self.gw.output()[-5000:]))
            time.sleep(0.05)

    def stop(self, kill=False):
        if kill:
            self.gw.proc.kill()
            self.gw.proc.wait()
        code = self.gw.stop()
        output = self.gw.output()
        self.gw.log.close()
        self.gw = None
        if not kill:
            self.assertEqual(code, 0, output[-5000:])
        return output

    def client(self, session=None):
        if session is None:
            session = MemorySession()
            session.set_dc(THIS_DC, "127.0.0.1", self.port)
        return TelegramClient(session, 1, "0" * 32, connection=tc.ConnectionTcpFull,
                              connection_retries=1, retry_delay=0, request_retries=1,
                              timeout=10)

    async def sign_up(self, phone, name, username):
        client = self.client()
        await client.start(phone=phone, code_callback=lambda: CODE, first_name=name)
        await client(functions.account.UpdateUsernameRequest(username))
        return client, await client.get_me()

    async def again(self, session):
        """A client with a session (its auth key) from before the restart."""
        client = self.client(session)
        await client.connect()
        self.assertTrue(await client.is_user_authorized())
        return client

    async def quietly_disconnect(self, *clients):
        for client in clients:
            try:
                await asyncio.wait_for(client.disconnect(), 5)
            except Exception:  # noqa: BLE001  (the server may be gone)
                pass

    def test_restart_keeps_users_keys_contacts_and_history(self):
        self.start()

        async def before():
            alice, alice_me = await self.sign_up("+9996623001", "Alice", "alice_durable")
            bob, bob_me = await self.sign_up("+9996623002", "Bob", "bob_durable")
            bob_peer = await alice.get_input_entity("bob_durable")
            for text in ("one", "two", "three"):
                await alice.send_message(bob_peer, text)
            await bob.send_message(await bob.get_input_entity("alice_durable"), "back")
            await self.quietly_disconnect(alice, bob)
            return alice.session, bob.session, alice_me, bob_me

        alice_session, bob_session, alice_me, bob_me = run(before())
        self.stop()
        self.assertTrue(os.path.getsize(self.state_file) > 16)
        self.start()

        async def after():
            alice = await self.again(alice_session)
            bob = await self.again(bob_session)
            try:
                self.assertEqual((await alice.get_me()).id, alice_me.id)
                me = await bob.get_me()
                self.assertEqual((me.id, me.username), (bob_me.id, "bob_durable"))
                # The username index was rebuilt too.
                self.assertEqual((await alice.get_entity("bob_durable")).id, bob_me.id)
                history = await alice.get_messages(bob_me.id, limit=10)
                self.assertEqual([(m.id, m.out, m.raw_text) for m in history],
                                 [(4, False, "back"), (3, True, "three"), (2, True, "two"),
                                  (1, True, "one")])
                dialogs = await bob.get_dialogs()
                self.assertEqual([d.entity.id for d in dialogs], [alice_me.id])
                # Ids and pts go on where they were.
                sent = await alice.send_message(bob_me.id, "after the restart")
                self.assertEqual(sent.id, 5)
                history = await bob.get_messages(alice_me.id, limit=10)
                self.assertEqual([m.raw_text for m in history],
                                 ["after the restart", "back", "three", "two", "one"])
            finally:
                await self.quietly_disconnect(alice, bob)

        run(after())

    def test_kill_during_send_storm_keeps_every_answered_message_once(self):
        self.start()
        answered = {}  # i -> message id the sender got
        base_random_id = 7_000_000_000

        async def storm():
            alice, alice_me = await self.sign_up("+9996623003", "Carol", "carol_storm")
            bob, bob_me = await self.sign_up("+9996623004", "Dave", "dave_storm")
            peer = await alice.get_input_entity("dave_storm")
            await bob.get_input_entity("carol_storm")  # cached for after the restart
            next_i = [0]
            killed = asyncio.Event()

            async def sender():
                while not killed.is_set():
                    i = next_i[0]
                    next_i[0] += 1
                    request = functions.messages.SendMessageRequest(
                        peer, "storm %d" % i, random_id=base_random_id + i)
                    try:
                        result = await asyncio.wait_for(alice(request), 10)
                    except Exception:  # noqa: BLE001  (the server was killed)
                        return
                    answered[i] = result.id

            async def killer():
                while len(answered) < KILL_AFTER_RESULTS:
                    await asyncio.sleep(0.005)
                self.gw.proc.kill()  # kill -9 with requests in flight
                killed.set()

            await asyncio.wait_for(
                asyncio.gather(killer(), *[sender() for _ in range(STORM_SENDERS)]), 60)
            await self.quietly_disconnect(alice, bob)
            return alice.session, bob.session, alice_me, bob_me, next_i[0]

        alice_session, bob_session, alice_me, bob_me, tried = run(storm())
        self.stop(kill=True)
        self.assertGreaterEqual(len(answered), KILL_AFTER_RESULTS)
        self.start()

        async def recover():
            alice = await self.again(alice_session)
            bob = await self.again(bob_session)
            try:
                peer = await alice.get_input_entity(bob_me.id)
                for i in range(tried):
                    if i in answered:
                        continue
                    request = functions.messages.SendMessageRequest(
                        peer, "storm %d" % i, random_id=base_random_id + i)
                    answered[i] = (await alice(request)).id
                want = ["storm %d" % i for i in range(tried)]
                for client, other in ((alice, bob_me.id), (bob, alice_me.id)):
                    history = await client.get_messages(other, limit=tried + 50)
                    texts = [m.raw_text for m in history]
                    self.assertEqual(sorted(texts), sorted(want), "duplicates or losses")
                # The results the sender got before the kill name the stored messages.
                ids = {m.raw_text: m.id for m in await alice.get_messages(bob_me.id,
                                                                          limit=tried + 50)}
                for i, msg_id in answered.items():
                    self.assertEqual(ids["storm %d" % i], msg_id)
            finally:
                await self.quietly_disconnect(alice, bob)

        run(recover(), timeout=120)


if __name__ == "__main__":
    unittest.main()
