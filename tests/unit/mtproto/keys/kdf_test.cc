// Key derivation vectors: docs/spec/wire-notes.md §6.6 (message KDF) and §7.6 (handshake values).
#include "mtproto/keys/kdf.h"

#include <gtest/gtest.h>

#include "mtproto/keys/auth_key.h"
#include "tests/support/hex.h"
#include "tests/support/keys.h"

namespace mtedge::mtproto {
namespace {

using mtedge::test::from_hex;
using mtedge::test::hex_array;
// Expected values here are upper-case hex, as docs/spec/wire-notes.md prints them.
constexpr auto to_hex = mtedge::test::to_upper_hex;

AuthKey sample_key() {
  return AuthKey::from_bytes(from_hex(mtedge::test::kAuthKeyHex)).value();
}

const Int256 kNewNonce =
    hex_array<32>("A8BBC849512DAC6C67B6EFD9157D6CA7377A1776307D84265C6BE9BDCF802AC1");
const Int128 kServerNonce = hex_array<16>("E11DBC3BC97D91A26154F932AF019943");

TEST(MtprotoCryptoKdf, AuthKeyIdAndAuxHash) {
  const AuthKey key = sample_key();
  EXPECT_EQ(key.id(), 0x4E78EF50338B5865u);  // wire bytes 65588B3350EF784E
  EXPECT_EQ(to_hex(key.aux_hash()), "20B5C361A4F5A3D0");
  EXPECT_EQ(auth_key_id_of(key.data()), key.id());
  EXPECT_FALSE(key.empty());
  EXPECT_TRUE(AuthKey().empty());
  EXPECT_FALSE(AuthKey::from_bytes(Bytes(255)).is_ok());
}

TEST(MtprotoCryptoKdf, MessageKeyAndAesKeyIv) {
  const AuthKey key = sample_key();
  const Bytes plain = from_hex(mtedge::test::kPlaintextHex);
  const MsgKeyResult mk = compute_msg_key(key, plain, Direction::kClientToServer);
  EXPECT_EQ(to_hex(mk.msg_key), "B2513F0520B906E881AECE5834C93E2F");
  EXPECT_EQ(mk.quick_ack_token, 0xA1ABE8DAu);
  const AesKeyIv kiv = derive_aes_key_iv(key, mk.msg_key, Direction::kClientToServer);
  EXPECT_EQ(to_hex(kiv.key), "3036BCCEA3F2C370D188A17212C5590AD7C7398F336386BFF5FDF9C5E2BA7A37");
  EXPECT_EQ(to_hex(kiv.iv), "E4C0260C7869DEEE68C3F9DE30B380559132D512A0B84DDD1077C15FD1C8624B");
  EXPECT_EQ(to_hex(compute_msg_key(key, plain, Direction::kServerToClient).msg_key),
            "8B133028691477925F5B155F00E51E88");
}

TEST(MtprotoCryptoKdf, HandshakeTmpAesKeyIv) {
  const AesKeyIv kiv = handshake_tmp_aes_key_iv(kNewNonce, kServerNonce);
  EXPECT_EQ(to_hex(kiv.key), "5EA702F743E850F5546E857F08B7D5337BBAEDF9B61248751594851BE2E8C297");
  EXPECT_EQ(to_hex(kiv.iv), "1CEF8E372A63D97EBFA805C0DBB018BC7C1E0931693FBCB1A1AFC0C0A8BBC849");
}

TEST(MtprotoCryptoKdf, NewNonceHashesAndSalt) {
  const AuthKey key = sample_key();
  EXPECT_EQ(to_hex(new_nonce_hash(kNewNonce, 1, key.aux_hash())),
            "1142871352165E59E1124036B48B97D3");
  EXPECT_EQ(to_hex(new_nonce_hash(kNewNonce, 2, key.aux_hash())),
            "20D87DD307142B798B67A8DEA2C22140");
  EXPECT_EQ(to_hex(new_nonce_hash(kNewNonce, 3, key.aux_hash())),
            "141C6DB2686EF8DF4E08E685CCD31510");
  EXPECT_EQ(to_hex(new_nonce_hash_fail(kNewNonce)), "9163788F9F89B790642135906CD42227");
  EXPECT_EQ(initial_server_salt(kNewNonce, kServerNonce), 0xCE3D50987274A649u);
  EXPECT_EQ(key.aux_hash_u64(), 0xD0A3F5A461C3B520u);
}

}  // namespace
}  // namespace mtedge::mtproto
