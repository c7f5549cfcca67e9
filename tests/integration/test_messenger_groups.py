"""Basic groups in the embedded messenger, end to end with Telethon 1.25 (layer 144): three
clients sign in with test numbers, one makes a group of the three (messages.createChat), every
member's events.NewMessage handler fires for the others' messages, live and in the order they
were sent, and concurrent senders still leave every member with the same history. The creator
removes the third member (messages.deleteChatUser): it gets nothing more, keeps its history and
may not write; the second leaves. A member that was offline gets the group messages it missed
from updates.getDifference after it reconnects.
"""
import asyncio
import unittest

import base  # noqa: F401  (puts support/ on the path)
from telethon import errors, events, functions
from telethon.tl.types import InputUserSelf, PeerChat
from test_embedded import run
from test_messenger import MessengerCase


class GroupsWithTelethon(MessengerCase):
    async def trio(self, phones, usernames):
        """Three signed-in clients, each with a queue of (chat_id, sender_id, text) of the
        messages it receives; the first makes a group of the three. Returns the clients, their
        users, their queues and the group's id."""
        clients, users, queues = [], [], []
        for phone, name in zip(phones, usernames):
            client, me = await self.start(phone, name.capitalize())
            await client(functions.account.UpdateUsernameRequest(name))
            queue = asyncio.Queue()

            async def on_message(event, queue=queue):
                await queue.put((event.chat_id, event.sender_id, event.raw_text))

            client.add_event_handler(on_message, events.NewMessage(incoming=True))
            clients.append(client)
            users.append(me)
            queues.append(queue)
        creator = clients[0]
        members = [await creator.get_input_entity(name) for name in usernames[1:]]
        made = await creator(functions.messages.CreateChatRequest(members, "Trio"))
        self.assertEqual(len(made.chats), 1)
        self.assertEqual(made.chats[0].title, "Trio")
        self.assertEqual(made.chats[0].participants_count, 3)
        return clients, users, queues, made.chats[0].id

    def run_group(self, phones, usernames, body):
        """Runs `await body(clients, users, queues, chat_id)` on a fresh trio(), then signs
        the clients off."""
        async def scenario():
            clients, users, queues, chat_id = await self.trio(phones, usernames)
            try:
                await body(clients, users, queues, chat_id)
            finally:
                for client in clients:
                    await client.disconnect()

        run(scenario())

    async def texts(self, client, chat_id):
        """The group's messages as `client` has them, oldest first (service messages as None)."""
        history = await client.get_messages(PeerChat(chat_id), limit=100)
        return [m.raw_text if m.message is not None else None for m in reversed(history)]

    def test_group_of_three_kick_and_leave(self):
        async def body(clients, users, queues, chat_id):
            ann, ben, cat = clients
            group = PeerChat(chat_id)
            for client, text in zip(clients, ("one", "two", "three")):
                await client.send_message(group, text)
            # Each member hears the other two, live, in the order they were sent.
            for me, queue in enumerate(queues):
                expected = [(-chat_id, users[i].id, text)
                            for i, text in enumerate(("one", "two", "three")) if i != me]
                got = [await asyncio.wait_for(queue.get(), 10) for _ in expected]
                self.assertEqual(got, expected)
            # Concurrent senders: every member keeps the same order.
            await asyncio.gather(*(
                client.send_message(group, "%s-%d" % (users[i].first_name, n))
                for n in range(3) for i, client in enumerate(clients)))
            histories = [await self.texts(client, chat_id) for client in clients]
            self.assertEqual(len(histories[0]), 1 + 3 + 9)
            self.assertEqual(histories[0], histories[1])
            self.assertEqual(histories[0], histories[2])
            for queue in queues:
                for _ in range(6):
                    await asyncio.wait_for(queue.get(), 10)
            full = await ann(functions.messages.GetFullChatRequest(chat_id))
            self.assertEqual(len(full.full_chat.participants.participants), 3)

            # Ann (the creator) removes Cat: Cat keeps its history and gets nothing more.
            with self.assertRaises(errors.ChatAdminRequiredError):
                await ben(functions.messages.DeleteChatUserRequest(
                    chat_id, await ben.get_input_entity("cat_g")))
            await ann(functions.messages.DeleteChatUserRequest(
                chat_id, await ann.get_input_entity("cat_g")))
            await ann.send_message(group, "after the kick")
            self.assertEqual(await asyncio.wait_for(queues[1].get(), 10),
                             (-chat_id, users[0].id, "after the kick"))
            with self.assertRaises(errors.ChatWriteForbiddenError):
                await cat.send_message(group, "let me back in")
            cat_history = await self.texts(cat, chat_id)
            self.assertEqual(cat_history, histories[2] + [None])
            self.assertNotIn("after the kick", cat_history)

            # Ben leaves: he hears nothing more either.
            await ben(functions.messages.DeleteChatUserRequest(chat_id, InputUserSelf()))
            await ann.send_message(group, "alone")
            chats = await ann(functions.messages.GetChatsRequest([chat_id]))
            self.assertEqual(chats.chats[0].participants_count, 1)
            await asyncio.sleep(0.5)
            self.assertTrue(queues[1].empty())
            self.assertTrue(queues[2].empty())
            self.assertEqual((await self.texts(ben, chat_id))[-1], None)
            self.assertEqual((await self.texts(ann, chat_id))[-1], "alone")

        self.run_group(["+9996621011", "+9996621012", "+9996621013"],
                       ["ann_g", "ben_g", "cat_g"], body)

    def test_offline_member_catches_up_through_get_difference(self):
        async def body(clients, users, queues, chat_id):
            dan, eve, fay = clients
            group = PeerChat(chat_id)
            await dan.send_message(group, "while online")
            self.assertEqual((await asyncio.wait_for(queues[1].get(), 10))[2], "while online")
            await eve.disconnect()
            await asyncio.sleep(0.5)  # the server has seen the connection close
            await dan.send_message(group, "missed 1")
            await fay.send_message(group, "missed 2")
            await dan.send_message(group, "missed 3")
            await eve.connect()
            await asyncio.wait_for(eve.catch_up(), 10)
            got = [await asyncio.wait_for(queues[1].get(), 10) for _ in range(3)]
            self.assertEqual(got, [(-chat_id, users[0].id, "missed 1"),
                                   (-chat_id, users[2].id, "missed 2"),
                                   (-chat_id, users[0].id, "missed 3")])
            await asyncio.wait_for(eve.catch_up(), 10)
            await fay.send_message(group, "after")
            self.assertEqual((await asyncio.wait_for(queues[1].get(), 10))[2], "after")
            self.assertTrue(queues[1].empty())
            dialogs = await eve.get_dialogs()
            self.assertEqual([d.entity.id for d in dialogs], [chat_id])
            self.assertEqual(dialogs[0].entity.title, "Trio")

        self.run_group(["+9996621021", "+9996621022", "+9996621023"],
                       ["dan_g", "eve_g", "fay_g"], body)


if __name__ == "__main__":
    unittest.main()
