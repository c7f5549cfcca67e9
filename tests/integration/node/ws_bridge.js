// A TCP -> WebSocket bridge on Node's `ws` package: each TCP connection to the listening
// port gets its own WebSocket to <url> (subprotocol `binary`); every TCP read is sent as one
// binary message, every message received is written back to TCP. Lets a TCP client (here
// Telethon's obfuscated2 connection) reach mtedge's WebSocket transport through an
// independent WebSocket implementation. `wss://` accepts self-signed certificates.
// Usage: node ws_bridge.js <listen_port> <url> ; prints "ready" once listening.
'use strict';
const net = require('net');
const WebSocket = require('ws');

const [listenPort, url] = [Number(process.argv[2]), process.argv[3]];

const server = net.createServer((tcp) => {
  tcp.pause();
  const ws = new WebSocket(url, ['binary'], {rejectUnauthorized: false});
  ws.binaryType = 'nodebuffer';
  ws.on('open', () => {
    if (ws.protocol !== 'binary') console.error(`subprotocol not echoed: "${ws.protocol}"`);
    tcp.on('data', (chunk) => ws.send(chunk));
    tcp.resume();
  });
  ws.on('message', (data) => tcp.write(data));
  ws.on('close', () => tcp.end());
  ws.on('error', (e) => { console.error(`ws error: ${e.message}`); tcp.destroy(); });
  tcp.on('close', () => ws.close(1000));
  tcp.on('error', () => ws.terminate());
});
server.listen(listenPort, '127.0.0.1', () => console.log('ready'));
