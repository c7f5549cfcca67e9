#include "mtproto/handshake/messages.h"

#include <algorithm>
#include <cstring>

#include "crypto/aes_ige.h"
#include "crypto/bignum.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"
#include "mtproto/tl/tl_reader.h"
#include "mtproto/tl/tl_writer.h"

namespace mtedge::mtproto {

using namespace handshake_ids;

Result<PQInnerData> parse_p_q_inner_data(ByteView data, size_t* consumed) {
  TlReader r(data);
  PQInnerData d;
  d.constructor = r.read_uint32();
  if (!r.ok()) return Status::error("p_q_inner_data: short input");
  bool has_dc = d.constructor == kPQInnerDataDc || d.constructor == kPQInnerDataTempDc;
  bool has_temp = d.constructor == kPQInnerDataTemp || d.constructor == kPQInnerDataTempDc;
  if (!has_dc && !has_temp && d.constructor != kPQInnerData)
    return Status::error("p_q_inner_data: unexpected constructor");
  auto copy = [](ByteView v) { return Bytes(v.begin(), v.end()); };
  d.pq = copy(r.read_bytes());
  d.p = copy(r.read_bytes());
  d.q = copy(r.read_bytes());
  d.nonce = r.read_int128();
  d.server_nonce = r.read_int128();
  d.new_nonce = r.read_int256();
  if (has_dc) d.dc = r.read_int32();
  if (has_temp) d.expires_in = r.read_int32();
  if (!r.ok()) return Status::error(std::string("p_q_inner_data: ") + r.error());
  if (consumed) *consumed = r.position();
  return d;
}

Bytes serialize_p_q_inner_data(const PQInnerData& d) {
  Bytes out;
  TlWriter w(out);
  w.write_uint32(d.constructor);
  w.write_bytes(d.pq);
  w.write_bytes(d.p);
  w.write_bytes(d.q);
  w.write_int128(d.nonce);
  w.write_int128(d.server_nonce);
  w.write_int256(d.new_nonce);
  if (d.dc) w.write_int32(*d.dc);
  if (d.expires_in) w.write_int32(*d.expires_in);
  return out;
}

Bytes build_dh_gen_answer(uint32_t ctor, const Int128& nonce, const Int128& server_nonce,
                          const Int128& new_nonce_hash) {
  Bytes out;
  TlWriter w(out);
  w.write_uint32(ctor);
  w.write_int128(nonce);
  w.write_int128(server_nonce);
  w.write_int128(new_nonce_hash);
  return out;
}

namespace {

// RSA_PAD (docs/spec/wire-notes.md §7.4 item 2). Returns the 192-byte data_with_padding when
// the hash matches.
std::optional<std::array<uint8_t, 192>> rsa_pad_unwrap(const crypto::RsaBlock& c) {
  const uint8_t* aes_encrypted = c.data() + 32;
  crypto::Sha256Digest h = crypto::sha256(ByteView(aes_encrypted, 224));
  std::array<uint8_t, 32> temp_key;
  for (size_t i = 0; i < 32; ++i) temp_key[i] = c[i] ^ h[i];
  std::array<uint8_t, 32> zero_iv{};
  std::array<uint8_t, 224> data_with_hash;
  crypto::aes_ige_decrypt(temp_key, zero_iv, aes_encrypted, data_with_hash.data(), 224);
  std::array<uint8_t, 192> data_with_padding;
  std::reverse_copy(data_with_hash.begin(), data_with_hash.begin() + 192,
                    data_with_padding.begin());
  crypto::Sha256Digest check = crypto::sha256({ByteView(temp_key), ByteView(data_with_padding)});
  if (!crypto::equal_ct(check.data(), data_with_hash.data() + 192, 32)) return std::nullopt;
  return data_with_padding;
}

}  // namespace

namespace {

// Legacy: 00 | SHA1(data) | data | random (255 bytes of RSA input). Parses and hashes whatever
// the block holds (the hash over the longest possible object when nothing parses), so it costs
// the same whether the block is legacy or not.
std::optional<PQInnerData> legacy_unwrap(const crypto::RsaBlock& plain) {
  ByteView rest(plain.data() + 21, plain.size() - 21);
  size_t consumed = 0;
  auto inner = parse_p_q_inner_data(rest, &consumed);
  const size_t hashed = inner ? consumed : rest.size();
  crypto::Sha1Digest h = crypto::sha1(rest.first(hashed));
  const bool hash_ok = crypto::equal_ct(h.data(), plain.data() + 1, 20);
  if (!inner || !hash_ok || plain[0] != 0) return std::nullopt;
  return std::move(inner).value();
}

}  // namespace

Result<DecodedInner> decode_rsa_inner(const crypto::RsaBlock& plain, bool allow_legacy) {
  auto padded = rsa_pad_unwrap(plain);
  std::optional<PQInnerData> legacy;
  if (allow_legacy) legacy = legacy_unwrap(plain);
  if (padded) {
    size_t consumed = 0;
    auto inner = parse_p_q_inner_data(*padded, &consumed);
    if (!inner) return inner.status();
    if (consumed > 144) return Status::error("p_q_inner_data: too long for RSA_PAD");
    return DecodedInner{std::move(inner).value(), RsaEncoding::kRsaPad};
  }
  if (legacy) return DecodedInner{std::move(*legacy), RsaEncoding::kLegacySha1};
  return Status::error("req_DH_params: encrypted_data hash check failed");
}

Result<crypto::RsaBlock> rsa_pad_encode(ByteView data, const crypto::RsaPublicKey& key) {
  if (data.size() > 144) return Status::error("rsa_pad: data longer than 144 bytes");
  std::array<uint8_t, 192> data_with_padding;
  std::memcpy(data_with_padding.data(), data.data(), data.size());
  crypto::random_bytes(MutableByteView(data_with_padding).subspan(data.size()));
  for (int attempt = 0; attempt < 64; ++attempt) {
    std::array<uint8_t, 32> temp_key;
    crypto::random_bytes(temp_key);
    std::array<uint8_t, 224> data_with_hash;
    std::reverse_copy(data_with_padding.begin(), data_with_padding.end(), data_with_hash.begin());
    crypto::Sha256Digest h = crypto::sha256({ByteView(temp_key), ByteView(data_with_padding)});
    std::memcpy(data_with_hash.data() + 192, h.data(), 32);
    std::array<uint8_t, 32> zero_iv{};
    crypto::RsaBlock block;
    crypto::aes_ige_encrypt(temp_key, zero_iv, data_with_hash.data(), block.data() + 32, 224);
    crypto::Sha256Digest hk = crypto::sha256(ByteView(block.data() + 32, 224));
    for (size_t i = 0; i < 32; ++i) block[i] = temp_key[i] ^ hk[i];
    if (crypto::compare_be(block, key.n()) < 0) return block;
  }
  return Status::error("rsa_pad: no temp_key gave a block below the modulus");
}

Result<crypto::RsaBlock> legacy_rsa_encode(ByteView data) {
  if (data.size() > 235) return Status::error("legacy rsa: data longer than 235 bytes");
  crypto::RsaBlock block{};
  crypto::Sha1Digest h = crypto::sha1(data);
  std::memcpy(block.data() + 1, h.data(), 20);
  std::memcpy(block.data() + 21, data.data(), data.size());
  crypto::random_bytes(MutableByteView(block).subspan(21 + data.size()));
  return block;
}

}  // namespace mtedge::mtproto
