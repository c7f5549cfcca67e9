"""The embedded messenger's edits, deletes, blocks, online status and limits, end to end with
Telethon 1.25 (layer 144) against conf/mtedge.toml with a small per-user message limit
(messages_per_second = 1, message_burst = 8): two clients signed in with test numbers see each
other's edits and deletions live (events.MessageEdited / events.MessageDeleted), a block stops
delivery and unblocking restores it, a contact's status shows online after
account.updateStatus and offline when its client disconnects, and sending too fast raises
FloodWaitError, an empty or too long message MessageEmptyError / MessageTooLongError.
"""
import asyncio
import unittest

import base  # noqa: F401  (puts support/ on the path)
from telethon import errors, events, functions, types
from telethon.tl.types import InputPhoneContact
from test_embedded import run
from test_messenger import MessengerCase, set_key

MESSAGES_PER_SECOND = 1
MESSAGE_BURST = 8


class MoreMessengerWithTelethon(MessengerCase):
    @classmethod
    def configure(cls, text):
        text = set_key(text, "messages_per_second", MESSAGES_PER_SECOND)
        return set_key(text, "message_burst", MESSAGE_BURST)

    async def pair(self, first, second):
        """Two signed-in clients (phones 99966210NN), each with the other's entity."""
        alice, alice_me = await self.start("+99966210%02d" % first, "A%d" % first)
        bob, bob_me = await self.start("+99966210%02d" % second, "B%d" % second)
        await bob(functions.account.UpdateUsernameRequest("user_%d" % second))
        bob_for_alice = await alice.get_entity("user_%d" % second)
        await alice(functions.account.UpdateUsernameRequest("user_%d" % first))
        alice_for_bob = await bob.get_entity("user_%d" % first)
        return alice, alice_me, bob_for_alice, bob, bob_me, alice_for_bob

    def run_pair(self, first, second, body):
        """Runs body(*pair(first, second)), then disconnects both clients."""
        async def scenario():
            clients = await self.pair(first, second)
            try:
                await body(*clients)
            finally:
                await clients[0].disconnect()
                await clients[3].disconnect()

        run(scenario())

    def test_edit_and_delete_are_seen_live_by_the_other_side(self):
        async def body(alice, alice_me, bob_entity, bob, bob_me, alice_entity):
            new, edited, deleted = asyncio.Queue(), asyncio.Queue(), asyncio.Queue()

            @bob.on(events.NewMessage(incoming=True))
            async def on_new(event):
                await new.put(event.message.id)

            @bob.on(events.MessageEdited)
            async def on_edit(event):
                await edited.put((event.message.id, event.raw_text, event.message.edit_date))

            @bob.on(events.MessageDeleted)
            async def on_delete(event):
                await deleted.put(sorted(event.deleted_ids))

            sent = await alice.send_message(bob_entity, "helo")
            bob_id = await asyncio.wait_for(new.get(), 10)
            changed = await alice.edit_message(bob_entity, sent.id, "hello")
            self.assertEqual(changed.raw_text, "hello")
            self.assertIsNotNone(changed.edit_date)
            got_id, text, edit_date = await asyncio.wait_for(edited.get(), 10)
            self.assertEqual((got_id, text), (bob_id, "hello"))
            self.assertIsNotNone(edit_date)
            history = await bob.get_messages(alice_entity, limit=10)
            self.assertEqual([m.raw_text for m in history], ["hello"])

            # Only the author edits; the same text again is not a change.
            with self.assertRaises(errors.MessageAuthorRequiredError):
                await bob.edit_message(alice_entity, bob_id, "not mine")
            with self.assertRaises(errors.MessageNotModifiedError):
                await alice.edit_message(bob_entity, sent.id, "hello")

            # Deleting for both: Bob's copy goes, live.
            second = await alice.send_message(bob_entity, "oops")
            second_bob = await asyncio.wait_for(new.get(), 10)
            await alice.delete_messages(bob_entity, [second.id], revoke=True)
            self.assertEqual(await asyncio.wait_for(deleted.get(), 10), [second_bob])
            history = await bob.get_messages(alice_entity, limit=10)
            self.assertEqual([m.raw_text for m in history], ["hello"])
            # Without revoke only Alice's own box changes.
            await alice.delete_messages(bob_entity, [sent.id], revoke=False)
            self.assertEqual(await alice.get_messages(bob_entity, limit=10), [])
            history = await bob.get_messages(alice_entity, limit=10)
            self.assertEqual([m.raw_text for m in history], ["hello"])
            dialogs = await alice.get_dialogs()
            self.assertEqual(dialogs, [])
            await asyncio.wait_for(bob.catch_up(), 10)
            self.assertTrue(deleted.empty())
        self.run_pair(11, 12, body)

    def test_block_stops_delivery_and_unblock_restores_it(self):
        async def body(alice, alice_me, bob_entity, bob, bob_me, alice_entity):
            received = asyncio.Queue()

            @bob.on(events.NewMessage(incoming=True))
            async def on_new(event):
                await received.put(event.raw_text)

            await bob(functions.contacts.BlockRequest(alice_entity))
            full = await bob(functions.users.GetFullUserRequest(alice_entity))
            self.assertTrue(full.full_user.blocked)
            blocked = await bob(functions.contacts.GetBlockedRequest(offset=0, limit=10))
            self.assertEqual([b.peer_id.user_id for b in blocked.blocked], [alice_me.id])

            # Alice's message is sent as far as she can tell, and never reaches Bob.
            sent = await alice.send_message(bob_entity, "are you there?")
            self.assertEqual(sent.raw_text, "are you there?")
            await asyncio.sleep(0.5)
            await asyncio.wait_for(bob.catch_up(), 10)
            self.assertTrue(received.empty())
            self.assertEqual(await bob.get_messages(alice_entity, limit=10), [])

            await bob(functions.contacts.UnblockRequest(alice_entity))
            full = await bob(functions.users.GetFullUserRequest(alice_entity))
            self.assertFalse(full.full_user.blocked)
            await alice.send_message(bob_entity, "now?")
            self.assertEqual(await asyncio.wait_for(received.get(), 10), "now?")
        self.run_pair(13, 14, body)

    def test_status_of_a_contact_is_seen_online_then_offline(self):
        async def body(alice, alice_me, bob_entity, bob, bob_me, alice_entity):
            statuses = asyncio.Queue()

            @bob.on(events.UserUpdate)
            async def on_status(event):
                if event.user_id == alice_me.id and event.status is not None:
                    await statuses.put(type(event.status))

            # Bob saves Alice as a contact: her status changes reach him.
            await bob(functions.contacts.ImportContactsRequest([InputPhoneContact(
                client_id=1, phone="+9996621015", first_name="Alice", last_name="")]))
            await alice(functions.account.UpdateStatusRequest(offline=False))
            self.assertEqual(await asyncio.wait_for(statuses.get(), 10),
                             types.UserStatusOnline)
            users = await bob(functions.users.GetUsersRequest([alice_entity]))
            self.assertIsInstance(users[0].status, types.UserStatusOnline)
            # Her only connection goes: she is offline.
            await alice.disconnect()
            self.assertEqual(await asyncio.wait_for(statuses.get(), 10),
                             types.UserStatusOffline)
            users = await bob(functions.users.GetUsersRequest([alice_entity]))
            self.assertIsInstance(users[0].status, types.UserStatusOffline)
        self.run_pair(15, 16, body)

    def test_flood_wait_and_message_errors(self):
        async def body(alice, alice_me, bob_entity, bob, bob_me, alice_entity):
            alice.flood_sleep_threshold = 0  # raise FloodWaitError instead of sleeping
            peer = await alice.get_input_entity(bob_entity)
            with self.assertRaises(errors.MessageEmptyError):
                await alice(functions.messages.SendMessageRequest(peer, ""))
            with self.assertRaises(errors.MessageTooLongError):
                await alice(functions.messages.SendMessageRequest(peer, "x" * 4097))
            # 4096 UTF-16 units is the most; an emoji is two.
            await alice(functions.messages.SendMessageRequest(peer, "\U0001F600" * 2048))
            with self.assertRaises(errors.FloodWaitError) as refused:
                for i in range(MESSAGE_BURST * 4):
                    await alice(functions.messages.SendMessageRequest(peer, "m%d" % i))
            self.assertGreaterEqual(refused.exception.seconds, 1)
            # Bob is not limited by Alice's sending.
            await bob.send_message(alice_entity, "fine")
        self.run_pair(17, 18, body)


if __name__ == "__main__":
    unittest.main()
