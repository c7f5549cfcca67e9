// GramJS (npm `telegram`) against the embedded messenger, driven by
// tests/integration/test_messenger_gramjs.py.
//
// Usage: node gramjs_messenger.js '<json>' where json is
//   {port, transport: "tcp" | "obfuscated" | "websocket", code, rsa: {n, e, fingerprint},
//    phones: [3], tag}
// (rsa: the server's public key, n and fingerprint as decimal strings; GramJS knows only
// Telegram's keys, so the test's key is added to its table). Three stock TelegramClients sign
// in with test numbers through client.start(); the script runs the scenario and prints one
// line "RESULT <json>" of what it observed: {"ok": true, ...} or {"ok": false, "step": ...,
// "error": ...}.
// The Python test makes the assertions.
'use strict';

const {TelegramClient, Api} = require('telegram');
const {MemorySession} = require('telegram/sessions');
const {NewMessage} = require('telegram/events');
const {ConnectionTCPFull, ConnectionTCPObfuscated} = require('telegram/network');
const {PromisedWebSockets} = require('telegram/extensions');
const {Logger, LogLevel} = require('telegram/extensions/Logger');
const RSA = require('telegram/crypto/RSA');
const bigInt = require('big-integer');

const args = JSON.parse(process.argv[2]);
const DC = 2;
const result = {
  ok: false,
  step: 'start'
};
const clients = [];

function step(name) { result.step = name; }

// A queue of the messages a client's NewMessage(incoming) handler saw.
class Inbox {
  constructor() {
    this.items = [];
    this.waiters = [];
  }
  push(item) {
    this.items.push(item);
    for (const w of this.waiters.splice(0)) w();
  }
  // The next `count` items, or throws after `ms`.
  async take(count, ms = 10000) {
    const deadline = Date.now() + ms;
    while (this.items.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`timed out waiting for ${count} messages (have ${this.items.length})`);
      }
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.items.splice(0, count);
  }
}

// GramJS's connect() dials port 80 (443 with useWSS) whatever port the session holds, so the
// connection class is GramJS's own with only the port replaced by the test server's. (Its
// StringSession cannot even store a port above 32767: MemorySession it is.)
function onTestPort(Connection) {
  return class extends Connection {
    constructor(options) { super({...options, port: args.port}); }
  };
}

async function signIn(phone, firstName) {
  const options = {
    connectionRetries: 2,
    baseLogger: new Logger(LogLevel.ERROR),
    connection: onTestPort(ConnectionTCPFull),  // GramJS's default in Node
  };
  if (args.transport === 'obfuscated') {
    options.connection = onTestPort(ConnectionTCPObfuscated);  // obfuscated2 over TCP
  } else if (args.transport === 'websocket') {
    // GramJS's browser transport: obfuscated2 inside WebSocket (ws://ip:port/apiws).
    options.connection = onTestPort(ConnectionTCPObfuscated);
    options.networkSocket = PromisedWebSockets;
  }
  const client = new TelegramClient(new MemorySession(), 1, '0'.repeat(32), options);
  client.session.setDC(DC, '127.0.0.1', args.port);
  clients.push(client);
  await client.start({
    phoneNumber: phone,
    phoneCode: async () => args.code,
    firstAndLastNames: async () => [firstName, ''],
    onError: async (e) => {
      throw e;
    },
  });
  const me = await client.getMe();
  const inbox = new Inbox();
  client.addEventHandler((event) => {
    const m = event.message;
    inbox.push({chat: String(m.chatId), sender: String(m.senderId), text: m.message});
  }, new NewMessage({incoming: true}));
  return {client, me, inbox, id: String(me.id)};
}

async function scenario() {
  const fingerprint = bigInt(args.rsa.fingerprint);
  RSA._serverKeys.set(fingerprint.toString(), {n: bigInt(args.rsa.n), e: args.rsa.e});
  const tag = args.tag;

  step('sign in');
  const a = await signIn(args.phones[0], 'Ada');
  const b = await signIn(args.phones[1], 'Bo');
  const c = await signIn(args.phones[2], 'Cy');
  result.signed_in = [a, b, c].map((x) => ({
                                     id: x.id,
                                     phone: x.me.phone,
                                     first_name: x.me.firstName,
                                   }));

  step('find by username');
  await b.client.invoke(new Api.account.UpdateUsername({username: `bo_${tag}`}));
  await c.client.invoke(new Api.account.UpdateUsername({username: `cy_${tag}`}));
  const bForA = await a.client.getEntity(`bo_${tag}`);
  const cForA = await a.client.getEntity(`cy_${tag}`);
  result.by_username = [String(bForA.id), String(cForA.id)];

  step('find by phone');
  await b.client.invoke(new Api.contacts.ImportContacts({
    contacts: [new Api.InputPhoneContact({
      clientId: bigInt(1),
      phone: args.phones[0],
      firstName: 'Ada',
      lastName: '',
    })],
  }));
  const aForB = await b.client.getEntity(args.phones[0]);
  result.by_phone = String(aForB.id);

  step('live messages');
  await a.client.sendMessage(bForA, {message: 'hello bo'});
  const first = await b.inbox.take(1);
  await b.client.sendMessage(aForB, {message: 'hi ada'});
  const second = await a.inbox.take(1);
  await a.client.sendMessage(bForA, {message: '**bold** move'});
  const third = await b.inbox.take(1);
  result.live = [first[0], second[0], third[0]];
  const history = await b.client.getMessages(aForB, {limit: 10});
  result.history_b = history.map((m) => ({out: !!m.out, text: m.message}));

  step('group');
  const made = await a.client.invoke(new Api.messages.CreateChat({
    users: [bForA, cForA],
    title: `Trio ${tag}`,
  }));
  const updates = made.updates || made;  // layer 193 answers messages.invitedUsers
  const chat = updates.chats[0];
  const chatId = chat.id;
  result.group = {title: chat.title, participants: chat.participantsCount};
  const group = new Api.PeerChat({chatId});
  await a.client.sendMessage(group, {message: 'group one'});
  await b.client.sendMessage(await b.client.getInputEntity(group), {message: 'group two'});
  await c.client.sendMessage(await c.client.getInputEntity(group), {message: 'group three'});
  result.group_seen = {
    a: await a.inbox.take(2),
    b: await b.inbox.take(2),
    c: await c.inbox.take(2),
  };
  result.chat_id = String(-chatId);

  step('kick');
  await a.client.invoke(new Api.messages.DeleteChatUser({chatId, userId: cForA}));
  await a.client.sendMessage(group, {message: 'after the kick'});
  result.after_kick_b = await b.inbox.take(1);
  try {
    await c.client.sendMessage(await c.client.getInputEntity(group), {message: 'let me back in'});
    result.kicked_send = 'sent';
  } catch (e) {
    result.kicked_send = e.errorMessage || String(e);
  }

  step('block');
  await b.client.invoke(new Api.contacts.Block({id: aForB}));
  const blockedList = await b.client.invoke(new Api.contacts.GetBlocked({offset: 0, limit: 10}));
  result.blocked = blockedList.blocked.map((p) => String(p.peerId.userId));
  const blockedSend = await a.client.sendMessage(bForA, {message: 'while blocked'});
  result.blocked_send_id = blockedSend.id;
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await b.client.invoke(new Api.contacts.Unblock({id: aForB}));
  await a.client.sendMessage(bForA, {message: 'after unblock'});
  result.after_unblock_b = await b.inbox.take(1);
  const blocked = await b.client.invoke(new Api.contacts.GetBlocked({offset: 0, limit: 10}));
  result.blocked_after_unblock = blocked.blocked.length;

  step('settle');
  await new Promise((resolve) => setTimeout(resolve, 500));
  result.left_over = {a: a.inbox.items, b: b.inbox.items, c: c.inbox.items};
  result.ok = true;
}

async function main() {
  try {
    await scenario();
  } catch (e) {
    result.ok = false;
    result.error = e.errorMessage ? `${e.code} ${e.errorMessage}` : String(e && e.stack || e);
  }
  for (const client of clients) {
    try {
      await client.destroy();
    } catch (e) {
      // the process ends below either way
    }
  }
  process.stdout.write('RESULT ' + JSON.stringify(result) + '\n');
  process.exit(0);
}

main();
