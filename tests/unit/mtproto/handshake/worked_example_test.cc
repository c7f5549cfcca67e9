// The official worked example (docs/spec/wire-notes.md §7.6), replayed as far as a server can
// without the Telegram private key.
#include <gtest/gtest.h>

#include "crypto/bignum.h"
#include "mtproto/handshake/messages.h"
#include "mtproto/handshake/unencrypted.h"
#include "mtproto/keys/kdf.h"
#include "tests/support/handshake_context.h"
#include "tests/support/hex.h"
#include "tests/support/keys.h"

namespace mtedge::mtproto {
namespace {

using mtedge::test::from_hex;
using mtedge::test::hex_array;

const Int128 kNonce = hex_array<16>("406709F612FADFBEC3F0289D0AA67EEF");
const Int128 kServerNonce = hex_array<16>("E11DBC3BC97D91A26154F932AF019943");
const Int256 kNewNonce =
    hex_array<32>("A8BBC849512DAC6C67B6EFD9157D6CA7377A1776307D84265C6BE9BDCF802AC1");

Bytes inner_dc_bytes() {
  return from_hex(
      "955FF5A9 08256595EDB7766797000000 045A300D4B000000 046A26DB65000000"
      "406709F612FADFBEC3F0289D0AA67EEF E11DBC3BC97D91A26154F932AF019943"
      "A8BBC849512DAC6C67B6EFD9157D6CA7377A1776307D84265C6BE9BDCF802AC1 02000000");
}

TEST(WorkedExample, PqFactors) {
  const uint64_t pq = 2694724800268887959ull;
  auto f = factor_pq(pq);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->first, 1513098571u);
  EXPECT_EQ(f->second, 1780931429u);
  EXPECT_EQ(crypto::u64_to_be(pq), from_hex("2565 95ED B776 6797"));
  EXPECT_EQ(crypto::be_to_u64(from_hex("5A300D4B")), 1513098571u);
  EXPECT_TRUE(crypto::is_probable_prime(from_hex("5A300D4B")));
  EXPECT_TRUE(crypto::is_probable_prime(from_hex("6A26DB65")));
}

TEST(WorkedExample, PQInnerDataDcParses) {
  auto bytes = inner_dc_bytes();
  size_t consumed = 0;
  auto d = parse_p_q_inner_data(bytes, &consumed);
  ASSERT_TRUE(d.is_ok()) << d.message();
  EXPECT_EQ(consumed, bytes.size());
  EXPECT_EQ(d->constructor, handshake_ids::kPQInnerDataDc);
  EXPECT_EQ(crypto::be_to_u64(d->pq), 2694724800268887959ull);
  EXPECT_EQ(crypto::be_to_u64(d->p), 1513098571u);
  EXPECT_EQ(crypto::be_to_u64(d->q), 1780931429u);
  EXPECT_EQ(d->nonce, kNonce);
  EXPECT_EQ(d->server_nonce, kServerNonce);
  EXPECT_EQ(d->new_nonce, kNewNonce);
  ASSERT_TRUE(d->dc.has_value());
  EXPECT_EQ(*d->dc, 2);
  EXPECT_FALSE(d->temp());
  EXPECT_EQ(serialize_p_q_inner_data(*d), bytes);
  // Trailing RSA padding is ignored; truncation is an error.
  Bytes padded = bytes;
  padded.resize(192, 0x5a);
  EXPECT_TRUE(parse_p_q_inner_data(padded).is_ok());
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(parse_p_q_inner_data(ByteView(bytes).first(n)).is_ok()) << n;
}

// The example's inner data through both RSA encodings and our key, decoded server-side.
TEST(WorkedExample, RsaEncodingsDecode) {
  auto bytes = inner_dc_bytes();
  const crypto::RsaPrivateKey& key = testing::test_key();
  for (RsaEncoding enc : {RsaEncoding::kRsaPad, RsaEncoding::kLegacySha1}) {
    auto block = enc == RsaEncoding::kRsaPad ? rsa_pad_encode(bytes, key.public_key())
                                             : legacy_rsa_encode(bytes);
    ASSERT_TRUE(block.is_ok());
    auto cipher = key.public_key().encrypt_raw(*block);
    ASSERT_TRUE(cipher.is_ok());
    auto plain = key.decrypt_raw(*cipher);
    ASSERT_TRUE(plain.is_ok());
    auto decoded = decode_rsa_inner(*plain);
    ASSERT_TRUE(decoded.is_ok()) << decoded.message();
    EXPECT_EQ(decoded->encoding, enc);
    EXPECT_EQ(serialize_p_q_inner_data(decoded->inner), bytes);
    // Any flipped bit breaks the hash check.
    crypto::RsaBlock bad = *plain;
    bad[100] ^= 1;
    EXPECT_FALSE(decode_rsa_inner(bad).is_ok());
  }
}

TEST(WorkedExample, TmpAesKeyIv) {
  AesKeyIv t = handshake_tmp_aes_key_iv(kNewNonce, kServerNonce);
  EXPECT_EQ(Bytes(t.key.begin(), t.key.end()),
            from_hex("5EA702F743E850F5546E857F08B7D5337BBAEDF9B61248751594851BE2E8C297"));
  EXPECT_EQ(Bytes(t.iv.begin(), t.iv.end()),
            from_hex("1CEF8E372A63D97EBFA805C0DBB018BC7C1E0931693FBCB1A1AFC0C0A8BBC849"));
}

TEST(WorkedExample, AuthKeyDerivedValues) {
  auto key = AuthKey::from_bytes(from_hex(mtedge::test::kAuthKeyHex));
  ASSERT_TRUE(key.is_ok());
  Bytes id_wire(8);
  for (int i = 0; i < 8; ++i) id_wire[i] = static_cast<uint8_t>(key->id() >> (8 * i));
  EXPECT_EQ(id_wire, from_hex("65588B3350EF784E"));
  const std::array<uint8_t, 8> aux = key->aux_hash();
  EXPECT_EQ(Bytes(aux.begin(), aux.end()), from_hex("20B5C361A4F5A3D0"));
  auto h = [&](uint8_t n) {
    Int128 v = new_nonce_hash(kNewNonce, n, key->aux_hash());
    return Bytes(v.begin(), v.end());
  };
  EXPECT_EQ(h(1), from_hex("1142871352165E59E1124036B48B97D3"));
  EXPECT_EQ(h(2), from_hex("20D87DD307142B798B67A8DEA2C22140"));
  EXPECT_EQ(h(3), from_hex("141C6DB2686EF8DF4E08E685CCD31510"));
  Int128 fail = new_nonce_hash_fail(kNewNonce);
  EXPECT_EQ(Bytes(fail.begin(), fail.end()), from_hex("9163788F9F89B790642135906CD42227"));
  uint64_t salt = initial_server_salt(kNewNonce, kServerNonce);
  EXPECT_EQ(salt, 0xCE3D50987274A649ull);
}

TEST(WorkedExample, DhGenOkPayload) {
  auto key = AuthKey::from_bytes(from_hex(mtedge::test::kAuthKeyHex));
  ASSERT_TRUE(key.is_ok());
  auto body = build_dh_gen_answer(handshake_ids::kDhGenOk, kNonce, kServerNonce,
                                  new_nonce_hash(kNewNonce, 1, key->aux_hash()));
  EXPECT_EQ(body,
            from_hex("34F7CB3B 406709F612FADFBEC3F0289D0AA67EEF E11DBC3BC97D91A26154F932AF019943"
                     "1142871352165E59E1124036B48B97D3"));
  // Wrapped as the example's unencrypted message (msg_id 0x65C53D5191BE0001). The sample's
  // length field is not the body size; ours is (52 bytes).
  auto payload = build_unencrypted(0x65C53D5191BE0001ull, body);
  EXPECT_EQ(Bytes(payload.begin(), payload.begin() + 16),
            from_hex("0000000000000000 0100BE91513DC565"));
  EXPECT_EQ(load_le32(payload.data() + 16), 52u);
  EXPECT_EQ(Bytes(payload.begin() + 20, payload.end()), body);
}

TEST(WorkedExample, ProdPrimeIsSafeAndGThreeIsValid) {
  const DhGroup& g = DhGroup::telegram_default();
  ASSERT_EQ(g.prime.size(), 256u);
  EXPECT_EQ(Bytes(g.prime.begin(), g.prime.begin() + 8), from_hex("C71CAEB9C6B1C904"));
  EXPECT_EQ(Bytes(g.prime.end() - 8, g.prime.end()), from_hex("119CD8E3B92FCC5B"));
  EXPECT_TRUE(g.check().is_ok());
  DhGroup bad = g;
  bad.g = 2;  // p mod 8 != 7
  EXPECT_FALSE(bad.check().is_ok());
  bad = g;
  bad.prime.back() ^= 2;  // no longer prime
  EXPECT_FALSE(bad.check().is_ok());
}

}  // namespace
}  // namespace mtedge::mtproto
