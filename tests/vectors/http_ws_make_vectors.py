#!/usr/bin/python3
"""Writes the HTTP and WebSocket golden vectors (tests/vectors/http_*.bin, ws_*.bin).

Deterministic: fixed bodies and mask keys. Re-run after changing a vector on purpose.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# An unencrypted req_pq_multi as a client sends it: auth_key_id 0, msg_id, length 20,
# constructor be7e8ef1, nonce 00..0f.
REQ_PQ = (bytes(8) + struct.pack('<q', 0x5e0b8a3c00000000) + struct.pack('<i', 20)
          + struct.pack('<I', 0xbe7e8ef1) + bytes(range(16)))


def write(name, data):
    with open(os.path.join(HERE, name), 'wb') as f:
        f.write(data)


def telethon_request(body):
    return ('POST /api HTTP/1.1\r\n'
            'Host: 127.0.0.1:443\r\n'
            'Content-Type: application/x-www-form-urlencoded\r\n'
            'Connection: keep-alive\r\n'
            'Keep-Alive: timeout=100000, max=10000000\r\n'
            'Content-Length: {}\r\n\r\n'.format(len(body)).encode() + body)


def tdlib_request(body):
    return ('POST /api HTTP/1.1\r\nHost: \r\nConnection: keep-alive\r\n'
            'Content-Length: {}\r\n\r\n'.format(len(body)).encode() + body)


def browser(method, path, body):
    head = ('{} {} HTTP/1.1\r\nHost: venus.web.telegram.org\r\n'
            'Origin: https://web.telegram.org\r\nConnection: keep-alive\r\n').format(method, path)
    if method == 'OPTIONS':
        head += ('Access-Control-Request-Method: POST\r\n'
                 'Access-Control-Request-Headers: content-type\r\n\r\n')
        return head.encode()
    head += 'Content-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n'.format(len(body))
    return head.encode() + body


def response(body, cors=False, keep_alive=True):
    head = 'HTTP/1.1 200 OK\r\nConnection: {}\r\n'.format('keep-alive' if keep_alive else 'close')
    head += 'Content-Type: application/octet-stream\r\nPragma: no-cache\r\nCache-Control: no-store\r\n'
    if cors:
        head += ('Access-Control-Allow-Origin: *\r\nAccess-Control-Allow-Methods: POST, OPTIONS\r\n'
                 'Access-Control-Allow-Headers: origin, content-type\r\n'
                 'Access-Control-Max-Age: 1728000\r\n')
    head += 'Content-Length: {}\r\n\r\n'.format(len(body))
    return head.encode() + body


def ws_frame(opcode, payload, fin=True, mask=None):
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    mbit = 0x80 if mask is not None else 0
    if n < 126:
        head = struct.pack('!BB', b0, mbit | n)
    elif n < 65536:
        head = struct.pack('!BBH', b0, mbit | 126, n)
    else:
        head = struct.pack('!BBQ', b0, mbit | 127, n)
    if mask is None:
        return head + payload
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + masked


write('http_telethon_request.bin', telethon_request(REQ_PQ))
write('http_tdlib_request.bin', tdlib_request(REQ_PQ))
write('http_web_pipelined.bin', browser('OPTIONS', '/apiw1', b'') + browser('POST', '/apiw1', b'')
      + browser('POST', '/apiw1', REQ_PQ))
write('http_response_200.bin', response(REQ_PQ))
write('http_response_200_cors.bin', response(REQ_PQ, cors=True))
write('http_ws_upgrade.bin',
      b'GET /apiws HTTP/1.1\r\nHost: kws2.web.telegram.org\r\nConnection: Upgrade\r\n'
      b'Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
      b'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: binary\r\n\r\n'
      + ws_frame(2, REQ_PQ, mask=b'\x37\xfa\x21\x3d'))

# Client frames: a binary message in three fragments with a ping between them, one
# unfragmented message, then close 1000.
stream = bytes(range(256)) * 3
write('ws_client_frames.bin',
      ws_frame(2, stream[:100], fin=False, mask=b'\x01\x02\x03\x04')
      + ws_frame(9, b'hi', mask=b'\xaa\xbb\xcc\xdd')
      + ws_frame(0, stream[100:400], fin=False, mask=b'\x10\x20\x30\x40')
      + ws_frame(0, stream[400:], fin=True, mask=b'\xde\xad\xbe\xef')
      + ws_frame(2, REQ_PQ, mask=b'\x37\xfa\x21\x3d')
      + ws_frame(8, struct.pack('!H', 1000), mask=b'\x00\x00\x00\x01'))
write('ws_client_frames.payload', stream + REQ_PQ)
# Server frames (unmasked): one message of 70000 bytes as one frame, then close 1000 "-404".
write('ws_server_frames.bin', ws_frame(2, bytes(i & 0xff for i in range(70000)))
      + ws_frame(8, struct.pack('!H', 1000) + b'-404'))
