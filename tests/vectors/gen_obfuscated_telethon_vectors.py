#!/usr/bin/env python3
"""Writes obfuscated2 inits produced by Telethon 1.25.1's own client code (run with Debian's
/usr/bin/python3), each followed by the encrypted bytes of PAYLOAD from the same stream:

  obfuscated_init_telethon_plain.bin      ConnectionTcpObfuscated, abridged, no secret
  obfuscated_init_telethon_mtproxy.bin    MTProxy, intermediate, secret S, dc -2
  obfuscated_init_telethon_dd.bin         MTProxy, padded (dd secret), secret S, dc 10004
S = 00112233445566778899aabbccddeeff. Header bytes are random: re-running changes the files
but not what the tests check (tag, dc, secret, decrypted payload).
"""
import os

from telethon.network.connection.tcpabridged import AbridgedPacketCodec
from telethon.network.connection.tcpintermediate import (IntermediatePacketCodec,
                                                          RandomizedIntermediatePacketCodec)
from telethon.network.connection.tcpmtproxy import MTProxyIO
from telethon.network.connection.tcpobfuscated import ObfuscatedIO

S = bytes.fromhex("00112233445566778899aabbccddeeff")
PAYLOAD = bytes(range(100, 140))
HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, header, encryptor):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(bytes(header) + encryptor.encrypt(PAYLOAD))


def main():
    header, enc, _ = ObfuscatedIO.init_header(AbridgedPacketCodec)
    write("obfuscated_init_telethon_plain.bin", header, enc)
    header, enc, _ = MTProxyIO.init_header(S, -2, IntermediatePacketCodec)
    write("obfuscated_init_telethon_mtproxy.bin", header, enc)
    header, enc, _ = MTProxyIO.init_header(b"\xdd" + S, 10004, RandomizedIntermediatePacketCodec)
    write("obfuscated_init_telethon_dd.bin", header, enc)


if __name__ == "__main__":
    main()
