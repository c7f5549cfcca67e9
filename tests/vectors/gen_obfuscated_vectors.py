#!/usr/bin/env python3
"""Writes the obfuscated2 and fake-TLS golden vectors from an implementation independent of
the C++ code (Python hashlib/hmac + `cryptography` for AES-CTR when available).

  obfuscated_init_s31.bin           docs/spec/wire-notes.md §3.1 vector: 64-byte header + the 4 bytes
                                    `2c000000` encrypted (68 bytes)
  fake_tls_client_hello_short.bin   517-byte hello, SNI example.com
  fake_tls_client_hello_modern.bin  ~1.8 KB hello: GREASE, X25519MLKEM768 share, ECH GREASE,
                                    shuffled extensions, no SNI
  fake_tls_server_hello.bin         server reply to the short hello (1500-byte fake record)
Secret S = 00112233445566778899aabbccddeeff, hello time 1700000000 (unix seconds).
Deterministic: "random" bytes come from SHA-256 in counter mode over a label.
"""
import hashlib
import hmac
import os
import random
import struct

S = bytes.fromhex("00112233445566778899aabbccddeeff")
NOW = 1700000000
HERE = os.path.dirname(os.path.abspath(__file__))


def prng(label, n):
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(label.encode() + struct.pack("<I", i)).digest()
        i += 1
    return out[:n]


def u16(v):
    return struct.pack(">H", v)


def ext(t, body):
    return u16(t) + u16(len(body)) + body


def client_hello(sni, modern, shuffle_seed, pad_to, label):
    middle = []
    if sni:
        name = sni.encode()
        middle.append(ext(0x0000, u16(len(name) + 3) + b"\x00" + u16(len(name)) + name))
    middle.append(ext(0x0017, b""))
    middle.append(ext(0xff01, b"\x00"))
    groups = [0x3a3a] + ([0x11ec] if modern else []) + [0x001d, 0x0017, 0x0018]
    middle.append(ext(0x000a, u16(2 * len(groups)) + b"".join(u16(g) for g in groups)))
    middle.append(ext(0x000b, b"\x01\x00"))
    middle.append(ext(0x0023, b""))
    middle.append(ext(0x0010, b"\x00\x0c\x02h2\x08http/1.1"))
    middle.append(ext(0x0005, b"\x01\x00\x00\x00\x00"))
    middle.append(ext(0x000d, bytes.fromhex("001004030804040105030805050108060601")))
    middle.append(ext(0x0012, b""))
    shares = u16(0x3a3a) + u16(1) + b"\x00"
    if modern:
        shares += u16(0x11ec) + u16(1216) + prng(label + "mlkem", 1216)
    shares += u16(0x001d) + u16(32) + prng(label + "x25519", 32)
    middle.append(ext(0x0033, u16(len(shares)) + shares))
    middle.append(ext(0x002d, b"\x01\x01"))
    middle.append(ext(0x002b, b"\x06" + u16(0x7a7a) + u16(0x0304) + u16(0x0303)))
    middle.append(ext(0x001b, b"\x02\x00\x02"))
    middle.append(ext(0x4469, b"\x00\x03\x02h2"))
    if modern:
        middle.append(ext(0xfe0d, b"\x00\x00\x01\x00\x01\x42" + u16(32) + prng(label + "enc", 32)
                          + u16(208) + prng(label + "ech", 208)))
    if shuffle_seed:
        random.Random(shuffle_seed).shuffle(middle)
    exts = ext(0x0a0a, b"") + b"".join(middle) + ext(0x1a1a, b"\x00")
    suites = [0x2a2a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
              0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035]
    body = (b"\x03\x03" + b"\x00" * 32 + b"\x20" + prng(label + "sid", 32)
            + u16(2 * len(suites)) + b"".join(u16(s) for s in suites) + b"\x01\x00")
    size = 5 + 4 + len(body) + 2 + len(exts)
    if size + 4 <= pad_to:
        exts += ext(0x0015, b"\x00" * (pad_to - size - 4))
    body += u16(len(exts)) + exts
    record = b"\x16\x03\x01" + u16(len(body) + 4) + b"\x01" + struct.pack(">I", len(body))[1:] + body
    d = bytearray(hmac.new(S, record, hashlib.sha256).digest())
    ts = struct.pack("<I", NOW)
    for i in range(4):
        d[28 + i] ^= ts[i]
    return record[:11] + bytes(d) + record[43:]


def server_hello(ch, fake_len):
    client_random = ch[11:43]
    sid = ch[44:44 + ch[43]]
    hs = (b"\x03\x03" + b"\x00" * 32 + bytes([len(sid)]) + sid + u16(0x1301) + b"\x00" + u16(46)
          + bytes.fromhex("003300240 01d0020".replace(" ", "")) + prng("server-x25519", 32)
          + bytes.fromhex("002b00020304"))
    rec = b"\x16\x03\x03" + u16(len(hs) + 4) + b"\x02" + struct.pack(">I", len(hs))[1:] + hs
    out = rec + bytes.fromhex("140303000101") + b"\x17\x03\x03" + u16(fake_len) + prng("fake", fake_len)
    sr = hmac.new(S, client_random + out, hashlib.sha256).digest()
    return out[:11] + sr + out[43:]


def obfuscated_s31():
    init = bytearray(range(64))
    init[56:60] = b"\xdd" * 4
    init[60:62] = struct.pack("<h", 2)
    key = hashlib.sha256(bytes(init[8:40]) + S).digest()
    iv = bytes(init[40:56])
    try:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        enc = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
        ct = enc.update(bytes(init) + bytes.fromhex("2c000000"))
    except ImportError:  # fall back to the published bytes of docs/spec/wire-notes.md §3.1
        ct = bytes(56) + bytes.fromhex("8f3d40553f8b44b1b56c5102")
    return bytes(init[:56]) + ct[56:]


def main():
    short = client_hello("example.com", False, 0, 517, "short")
    modern = client_hello("", True, 7, 0, "modern")
    files = {
        "obfuscated_init_s31.bin": obfuscated_s31(),
        "fake_tls_client_hello_short.bin": short,
        "fake_tls_client_hello_modern.bin": modern,
        "fake_tls_server_hello.bin": server_hello(short, 1500),
    }
    for name, data in files.items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        print(name, len(data))


if __name__ == "__main__":
    main()
