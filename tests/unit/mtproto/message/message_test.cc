// MTProto 2.0 encrypted messages: the docs/spec/wire-notes.md §6.6 vector both ways, round
// trips in both directions, and every rejection of §6.4 steps 2-4.
#include "mtproto/message/message.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "crypto/aes_ige.h"
#include "tests/support/hex.h"
#include "tests/support/keys.h"

namespace mtedge::mtproto {
namespace {

using mtedge::test::from_hex;
// Expected values here are upper-case hex, as docs/spec/wire-notes.md prints them.
constexpr auto to_hex = mtedge::test::to_upper_hex;

AuthKey sample_key() {
  return AuthKey::from_bytes(from_hex(mtedge::test::kAuthKeyHex)).value();
}

void counting_random(MutableByteView out) {
  for (size_t i = 0; i < out.size(); ++i) out[i] = uint8_t(i);
}

void store64(uint8_t* p, uint64_t v) {
  store_le32(p, uint32_t(v));
  store_le32(p + 4, uint32_t(v >> 32));
}

// Encrypts an arbitrary plaintext with a correct msg_key (so that the checks after msg_key are
// what a test exercises).
Bytes encrypt_raw(const AuthKey& key, Bytes plain, Direction dir) {
  const MsgKeyResult mk = compute_msg_key(key, plain, dir);
  const AesKeyIv kiv = derive_aes_key_iv(key, mk.msg_key, dir);
  crypto::aes_ige_encrypt(kiv.key, kiv.iv, plain.data(), plain.data(), plain.size());
  Bytes out(24 + plain.size());
  store64(out.data(), key.id());
  std::memcpy(out.data() + 8, mk.msg_key.data(), 16);
  std::memcpy(out.data() + 24, plain.data(), plain.size());
  return out;
}

Bytes plaintext(uint32_t declared_length, size_t body, size_t padding) {
  Bytes p(32 + body + padding, 0x5a);
  store64(p.data(), 1);
  store64(p.data() + 8, 2);
  store64(p.data() + 16, 3);
  store_le32(p.data() + 24, 4);
  store_le32(p.data() + 28, declared_length);
  return p;
}

TEST(MtprotoCryptoMessage, DecryptsWireNotesVector) {
  const AuthKey key = sample_key();
  Bytes payload = from_hex(mtedge::test::kPayloadHex);
  EXPECT_EQ(peek_auth_key_id(payload), key.id());
  auto r = decrypt_message(key, payload);
  ASSERT_TRUE(r.is_ok()) << r.message();
  EXPECT_EQ(r->salt, 0xCE3D50987274A649u);
  EXPECT_EQ(r->session_id, 0x0123456789ABCDEFu);
  EXPECT_EQ(r->msg_id, 0x65C53D5100000004u);
  EXPECT_EQ(r->seq_no, 1u);
  EXPECT_EQ(to_hex(r->body), "EC77BE7A0100000000000000");
  EXPECT_EQ(r->quick_ack_token, 0xA1ABE8DAu);
  EXPECT_EQ(to_hex(r->msg_key), "B2513F0520B906E881AECE5834C93E2F");
  // The body is a view into the caller's buffer (decrypted in place).
  EXPECT_EQ(r->body.data(), payload.data() + 24 + 32);
}

TEST(MtprotoCryptoMessage, EncryptReproducesWireNotesVector) {
  const AuthKey key = sample_key();
  const Bytes body = from_hex("EC77BE7A0100000000000000");
  OutgoingMessage msg{0xCE3D50987274A649u, 0x0123456789ABCDEFu, 0x65C53D5100000004u, 1, body};
  Bytes out = {0xAA};  // appends after existing bytes
  uint32_t token = 0;
  ASSERT_TRUE(encrypt_message(key, msg, out, counting_random,
                              EncryptOptions{Direction::kClientToServer, 0}, &token)
                  .is_ok());
  EXPECT_EQ(out[0], 0xAA);
  EXPECT_EQ(to_hex(ByteView(out).subspan(1)), to_hex(from_hex(mtedge::test::kPayloadHex)));
  EXPECT_EQ(token, 0xA1ABE8DAu);
  EXPECT_EQ(out.size() - 1, encrypted_size(body.size()));
}

TEST(MtprotoCryptoMessage, RoundTripsBothDirectionsAllSizesAndPaddings) {
  const AuthKey key = sample_key();
  std::mt19937 rng(99);
  for (Direction dir : {Direction::kServerToClient, Direction::kClientToServer}) {
    for (size_t body_size = 0; body_size <= 300; body_size += 4) {
      for (size_t extra : {size_t{0}, size_t{16}, size_t{100}, size_t{5000}}) {
        Bytes body(body_size);
        for (auto& b : body) b = uint8_t(rng());
        OutgoingMessage msg{rng(), rng(), uint64_t(rng()) << 32 | 1, 7, body};
        Bytes out;
        ASSERT_TRUE(encrypt_message(key, msg, out, crypto::secure_random_source(),
                                    EncryptOptions{dir, extra})
                        .is_ok());
        // The server must not accept its own (x = 8) messages as client messages.
        const Direction other = dir == Direction::kClientToServer ? Direction::kServerToClient
                                                                  : Direction::kClientToServer;
        Bytes copy = out;
        EXPECT_FALSE(decrypt_message(key, copy, other).is_ok());
        auto r = decrypt_message(key, out, dir);
        ASSERT_TRUE(r.is_ok()) << r.message();
        EXPECT_EQ(r->salt, msg.salt);
        EXPECT_EQ(r->session_id, msg.session_id);
        EXPECT_EQ(r->msg_id, msg.msg_id);
        EXPECT_EQ(r->seq_no, 7u);
        EXPECT_EQ(Bytes(r->body.begin(), r->body.end()), body);
        const size_t pad = out.size() - 24 - 32 - body_size;
        EXPECT_GE(pad, 12u);
        EXPECT_LE(pad, 1024u);
        EXPECT_EQ((out.size() - 24) % 16, 0u);
      }
    }
  }
}

TEST(MtprotoCryptoMessage, ToleratesTrailingTransportPadding) {
  const AuthKey key = sample_key();
  for (size_t extra = 1; extra < 16; ++extra) {
    Bytes payload = from_hex(mtedge::test::kPayloadHex);
    payload.insert(payload.end(), extra, 0xEE);
    auto r = decrypt_message(key, payload);
    ASSERT_TRUE(r.is_ok()) << extra;
    EXPECT_EQ(r->quick_ack_token, 0xA1ABE8DAu);
  }
}

TEST(MtprotoCryptoMessage, RejectsWrongMsgKeyAndTampering) {
  const AuthKey key = sample_key();
  const Bytes good = from_hex(mtedge::test::kPayloadHex);
  for (size_t i = 8; i < good.size(); ++i) {  // every bit of msg_key and ciphertext matters
    for (uint8_t bit : {uint8_t(1), uint8_t(0x80)}) {
      Bytes bad = good;
      bad[i] ^= bit;
      EXPECT_FALSE(decrypt_message(key, bad).is_ok()) << "byte " << i;
    }
  }
}

TEST(MtprotoCryptoMessage, RejectsWrongKeyShortAndUnknownId) {
  const AuthKey key = sample_key();
  Bytes other_raw = from_hex(mtedge::test::kAuthKeyHex);
  other_raw[0] ^= 1;
  const AuthKey other = AuthKey::from_bytes(other_raw).value();
  Bytes payload = from_hex(mtedge::test::kPayloadHex);
  EXPECT_FALSE(decrypt_message(other, payload).is_ok());  // auth_key_id mismatch
  EXPECT_FALSE(decrypt_message(AuthKey(), payload).is_ok());
  // Short: anything below 24 + 48 bytes, including a cut that leaves < 48 after rounding.
  const Bytes good = from_hex(mtedge::test::kPayloadHex);
  for (size_t size = 0; size < good.size(); ++size) {
    Bytes cut(good.begin(), good.begin() + long(size));
    EXPECT_FALSE(decrypt_message(key, cut).is_ok()) << size;
  }
  EXPECT_EQ(peek_auth_key_id(Bytes(7)), 0u);
}

TEST(MtprotoCryptoMessage, RejectsBadLengthAndPadding) {
  const AuthKey key = sample_key();
  struct Case {
    uint32_t declared;
    size_t body, padding;
    bool ok;
  };
  const Case cases[] = {
      {16, 16, 16, true},             // good
      {16, 16, 12 + 4, true},         // good (pad 16)
      {20, 20, 12, true},             // pad exactly 12
      {18, 16, 16, false},            // length not a multiple of 4 (pad 14 would otherwise be fine)
      {4, 4, 28 + 1024 - 16, false},  // pad 1036 > 1024
      {8, 8, 1032 - 16, true},        // 32+8+1016 = 1056 (pad 1016)
      {24, 16, 16, false},            // declared > actual body: pad 8 < 12
      {28, 28, 4, false},             // pad 4 < 12
      {1000, 16, 16, false},          // longer than the plaintext
      {0xfffffffc, 16, 16, false},
      {0, 0, 16, true},  // empty body
  };
  for (const Case& c : cases) {
    const Bytes plain = plaintext(c.declared, c.body, c.padding);
    ASSERT_EQ(plain.size() % 16, 0u) << c.declared << " " << c.body << " " << c.padding;
    Bytes payload = encrypt_raw(key, plain, Direction::kClientToServer);
    auto r = decrypt_message(key, payload);
    EXPECT_EQ(r.is_ok(), c.ok) << c.declared << " " << c.body << " " << c.padding;
  }
  // Padding over 1024 with a correctly formed message.
  const Bytes big = plaintext(0, 0, 1040);
  Bytes payload = encrypt_raw(key, big, Direction::kClientToServer);
  EXPECT_FALSE(decrypt_message(key, payload).is_ok());
}

TEST(MtprotoCryptoMessage, EncryptRejectsOddBody) {
  const AuthKey key = sample_key();
  const Bytes body(5);
  Bytes out;
  EXPECT_FALSE(
      encrypt_message(key, OutgoingMessage{1, 2, 3, 4, body}, out, counting_random).is_ok());
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace mtedge::mtproto
