"""A client that was offline catches up on a large backlog, end to end with Telethon 1.25's
stock update handling (layer 144) against conf/mtedge.toml with the per-user message limit
raised. Bob signs in and disconnects; Alice sends him 1,000 messages; Bob comes back as a new
TelegramClient on the same session file (same auth key, the update state Telethon saved) with
catch_up=True, and Telethon's message box fetches the backlog with updates.getDifference page
by page (differenceSlice, then difference). Every message reaches Bob's events.NewMessage
handler exactly once and in the order it was sent, the number of getDifference calls is that
of the pages (Telethon's gap handling does not loop), and getHistory shows the 1,000 in order.
In a basic group of three, the member that was offline reconnects the same client object
without catch_up: the next live message opens a gap in its pts, Telethon fills it with
getDifference, and the 300 messages it missed and the live one reach its handler once, in
order.
"""
import asyncio
import os
import unittest

import base  # noqa: F401  (puts support/ on the path)
from telethon import TelegramClient, events, functions
from telethon.network import connection as tc
from telethon.tl.functions.updates import GetDifferenceRequest
from telethon.tl.types import PeerChat
from test_embedded import run
from test_messenger import CODE, THIS_DC, MessengerCase, set_key

# Events per updates.difference(Slice) page (biz/updates.cc kDifferenceEvents).
DIFFERENCE_PAGE = 100


class BacklogWithTelethon(MessengerCase):
    @classmethod
    def configure(cls, text):
        # One user sends the whole backlog at once.
        for key in ("messages_per_second", "message_burst"):
            text = set_key(text, key, 100000)
        return text

    def session_path(self, name):
        return os.path.join(self.dir, name)  # Telethon adds ".session"

    def file_client(self, name, **kw):
        """A stock TelegramClient on an SQLite session file in the test's directory."""
        client = TelegramClient(self.session_path(name), 1, "0" * 32,
                                connection=tc.ConnectionTcpFull, connection_retries=1,
                                retry_delay=0, request_retries=2, timeout=10, **kw)
        client.session.set_dc(THIS_DC, "127.0.0.1", self.port)
        return client

    async def sign_in_and_leave(self, name, phone, username):
        """Signs `phone` in on a session file, takes `username`, disconnects (Telethon saves
        its update state in the file). Returns the user."""
        client = self.file_client(name)
        await client.start(phone=phone, code_callback=lambda: CODE,
                           first_name=username.capitalize())
        try:
            await client(functions.account.UpdateUsernameRequest(username))
            return await client.get_me()
        finally:
            await client.disconnect()

    async def come_back(self, client, expected, trigger=None):
        """Connects `client` (disconnected), awaits `trigger(client)` if given, and waits until
        a NewMessage handler has seen as many incoming messages as `expected` (a list of
        (chat_id, sender_id, text)), then a little longer for any duplicate. Returns what the
        handler saw and the kinds of the getDifference answers the client got."""
        seen = []
        done = asyncio.Event()

        @client.on(events.NewMessage(incoming=True))
        async def on_message(event):
            seen.append((event.chat_id, event.sender_id, event.raw_text))
            if len(seen) >= len(expected):
                done.set()

        differences = []
        call = client._call

        async def counting_call(sender, request, *args, **kwargs):
            result = await call(sender, request, *args, **kwargs)
            if isinstance(request, GetDifferenceRequest):
                differences.append(type(result).__name__)
            return result

        client._call = counting_call
        await client.connect()
        self.assertTrue(await client.is_user_authorized())
        if trigger is not None:
            await trigger(client)
        try:
            await asyncio.wait_for(done.wait(), 40)
        except asyncio.TimeoutError:
            self.fail("the handler saw %d of %d messages; getDifference answers: %s"
                      % (len(seen), len(expected), differences))
        await asyncio.sleep(1)  # a duplicate or a looping getDifference would show by now
        return seen, differences

    def check_differences(self, differences, events):
        """Telethon pages through the backlog and stops: slices, then one difference."""
        pages = -(-events // DIFFERENCE_PAGE)
        self.assertLessEqual(len(differences), pages + 2, differences)
        self.assertEqual(differences[-1], "Difference", differences)
        self.assertEqual(differences.count("DifferenceSlice"), pages - 1, differences)

    def test_thousand_messages_while_offline(self):
        total = 1000

        async def scenario():
            bob_me = await self.sign_in_and_leave("bob", "+9996621101", "bob_backlog")
            alice, alice_me = await self.start("+9996621102", "Alice")
            bob = None
            try:
                bob_for_alice = await alice.get_input_entity("bob_backlog")
                texts = ["backlog %04d" % n for n in range(total)]
                for text in texts:
                    await alice.send_message(bob_for_alice, text)

                expected = [(alice_me.id, alice_me.id, text) for text in texts]
                # catch_up=True: Telethon gets the difference as soon as it is connected.
                # sequential_updates=True: by default Telethon runs each handler in a task of
                # its own, and a client that has not fetched itself yet makes every task first
                # await get_me(), so they finish out of order whatever the server sends.
                bob = self.file_client("bob", catch_up=True, sequential_updates=True)
                seen, differences = await self.come_back(bob, expected)
                self.assertEqual(len(seen), total)
                self.assertEqual(seen, expected)
                self.check_differences(differences, total)

                # (A limit, not None: Telethon sleeps a second between pages of an unlimited
                # iteration.)
                history = await bob.get_messages(alice_me.id, limit=total + 10)
                self.assertEqual([m.raw_text for m in reversed(history)], texts)
                self.assertEqual(sorted(m.id for m in history), list(range(1, total + 1)))
                self.assertFalse(any(m.out for m in history))
                # Up to date: Alice's next message arrives live, once.
                await alice.send_message(bob_for_alice, "live again")
                deadline = asyncio.get_running_loop().time() + 10
                while len(seen) == total and asyncio.get_running_loop().time() < deadline:
                    await asyncio.sleep(0.05)
                await asyncio.sleep(0.5)  # and not twice
                self.assertEqual(seen[total:], [(alice_me.id, alice_me.id, "live again")])
                self.assertEqual(bob_me.id, (await bob.get_me()).id)
            finally:
                await alice.disconnect()
                if bob is not None:
                    await bob.disconnect()

        run(scenario(), timeout=120)

    def test_group_member_catches_up_on_three_hundred_messages(self):
        total = 300

        async def scenario():
            gil, gil_me = await self.start("+9996621111", "Gil")
            hal, hal_me = await self.start("+9996621112", "Hal")
            ivy, ivy_me = await self.start("+9996621113", "Ivy")
            try:
                for client, name in ((gil, "gil_backlog"), (ivy, "ivy_backlog")):
                    await client(functions.account.UpdateUsernameRequest(name))
                # Gil goes offline; the same client object (its update state in memory)
                # connects again later.
                await gil.disconnect()
                await asyncio.sleep(0.5)  # the server has seen the connection close
                members = [await hal.get_input_entity(name)
                           for name in ("gil_backlog", "ivy_backlog")]
                made = await hal(functions.messages.CreateChatRequest(members, "Backlog"))
                chat_id = made.chats[0].id
                group = PeerChat(chat_id)
                senders = [(hal, hal_me), (ivy, ivy_me)]
                expected = []
                for n in range(total):
                    client, me = senders[n % 2]
                    text = "group backlog %03d" % n
                    await client.send_message(group, text)
                    expected.append((-chat_id, me.id, text))

                # Without catch_up Telethon learns of the backlog from the gap the next live
                # message opens in its pts, and fills it with getDifference. (get_me() first,
                # so that Telethon's handler tasks need not wait for it.)
                expected.append((-chat_id, hal_me.id, "live"))

                async def trigger(client):
                    await client.get_me()
                    await hal.send_message(group, "live")

                seen, differences = await self.come_back(gil, expected, trigger)
                self.assertEqual(len(seen), total + 1)
                self.assertEqual(seen, expected)
                # The chat's creation is one more event before them.
                self.check_differences(differences, total + 2)

                history = await gil.get_messages(group, limit=total + 10)
                # The chat's creation (a service message) comes first.
                self.assertEqual(
                    [(m.sender_id, m.raw_text if m.message is not None else None)
                     for m in reversed(history)],
                    [(hal_me.id, None)] + [(sender, text) for _, sender, text in expected])
                self.assertEqual(gil_me.id, (await gil.get_me()).id)
            finally:
                for client in (gil, hal, ivy):
                    await client.disconnect()

        run(scenario(), timeout=120)


if __name__ == "__main__":
    unittest.main()
