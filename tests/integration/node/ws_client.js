// A WebSocket client on Node's `ws` package (an independent implementation) speaking the
// MTProto WebSocket transport (docs/spec/wire-notes.md §5): obfuscated2 with intermediate framing
// inside binary messages. Sends each payload, checks the relay test upstream's answer
// ("ANS!" + payload reversed) and that every server message is exactly one packet.
// Usage: node ws_client.js <port> <path> ; prints one JSON line with the outcome.
'use strict';
const crypto = require('crypto');
const WebSocket = require('ws');

const [port, path] = [process.argv[2], process.argv[3] || '/apiws'];

function makeInit() {
  for (;;) {
    const init = crypto.randomBytes(64);
    const first4 = init.readUInt32LE(0);
    const bad = init[0] === 0xef || init.readUInt32LE(4) === 0 ||
        [0x44414548, 0x54534f50, 0x20544547, 0x4954504f, 0xdddddddd, 0xeeeeeeee, 0x02010316]
            .includes(first4);
    if (bad) continue;
    init.writeUInt32LE(0xeeeeeeee, 56);  // intermediate inside
    init.writeInt16LE(2, 60);            // dc 2
    return init;
  }
}

const init = makeInit();
const rev = Buffer.from(init.subarray(8, 56)).reverse();
const enc = crypto.createCipheriv('aes-256-ctr', init.subarray(8, 40), init.subarray(40, 56));
const dec = crypto.createDecipheriv('aes-256-ctr', rev.subarray(0, 32), rev.subarray(32, 48));
const encryptedInit = enc.update(init);
const header = Buffer.concat([init.subarray(0, 56), encryptedInit.subarray(56, 64)]);

const sizes = [16, 256, 4096, 300 * 1024];
const payloads = sizes.map((n, i) => Buffer.from(Array.from({length: n}, (_, j) => (i + j * 7) & 0xff)));
let next = 0;
const result = {ok: false, answers: 0, messages: 0, protocol: null, error: null};

const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, ['binary']);
ws.binaryType = 'nodebuffer';
const timer = setTimeout(() => finish('timeout'), 10000);

function frame(payload) {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(payload.length);
  return enc.update(Buffer.concat([len, payload]));
}

function finish(error) {
  clearTimeout(timer);
  result.error = error || null;
  result.ok = !error && result.answers === payloads.length;
  console.log(JSON.stringify(result));
  ws.close(1000);
  setTimeout(() => process.exit(0), 100);
}

ws.on('open', () => {
  result.protocol = ws.protocol;
  ws.send(Buffer.concat([header, frame(payloads[0])]));
});
ws.on('message', (data) => {
  result.messages += 1;
  const plain = dec.update(data);
  const len = plain.readUInt32LE(0);
  if (plain.length !== 4 + len) return finish(`message of ${plain.length} bytes is not one packet of ${len}`);
  const body = plain.subarray(4);
  const expect = Buffer.concat([Buffer.from('ANS!'), Buffer.from(payloads[next]).reverse()]);
  if (!body.equals(expect)) return finish(`answer ${next} differs`);
  result.answers += 1;
  next += 1;
  if (next === payloads.length) return finish(null);
  ws.send(frame(payloads[next]));
});
ws.on('error', (e) => finish(String(e.message || e)));
ws.on('close', (code, reason) => { if (!result.ok && !result.error) finish(`closed ${code} ${reason}`); });
