// Constructor ids of the DH handshake (docs/spec/wire-notes.md §7.3) and the p_q_inner_data
// decoder.
#pragma once

#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/rsa.h"
#include "mtproto/keys/kdf.h"

namespace mtedge::mtproto::handshake_ids {
inline constexpr uint32_t kReqPq = 0x60469778;
inline constexpr uint32_t kReqPqMulti = 0xbe7e8ef1;
inline constexpr uint32_t kResPq = 0x05162463;
inline constexpr uint32_t kPQInnerData = 0x83c95aec;
inline constexpr uint32_t kPQInnerDataDc = 0xa9f55f95;
inline constexpr uint32_t kPQInnerDataTemp = 0x3c6a84d4;
inline constexpr uint32_t kPQInnerDataTempDc = 0x56fddf88;
inline constexpr uint32_t kReqDhParams = 0xd712e4be;
inline constexpr uint32_t kServerDhParamsFail = 0x79cb045d;
inline constexpr uint32_t kServerDhParamsOk = 0xd0e8075c;
inline constexpr uint32_t kServerDhInnerData = 0xb5890dba;
inline constexpr uint32_t kSetClientDhParams = 0xf5045f1f;
inline constexpr uint32_t kClientDhInnerData = 0x6643b654;
inline constexpr uint32_t kDhGenOk = 0x3bcbf734;
inline constexpr uint32_t kDhGenRetry = 0x46dc1fb9;
inline constexpr uint32_t kDhGenFail = 0xa69dae02;
}  // namespace mtedge::mtproto::handshake_ids

namespace mtedge::mtproto {

struct PQInnerData {
  uint32_t constructor = 0;
  Bytes pq, p, q;  // big-endian strings as sent
  Int128 nonce{};
  Int128 server_nonce{};
  Int256 new_nonce{};
  std::optional<int32_t> dc;          // _dc and _temp_dc
  std::optional<int32_t> expires_in;  // _temp and _temp_dc
  bool temp() const { return expires_in.has_value(); }
};

// Parses a boxed p_q_inner_data / _dc / _temp / _temp_dc from the start of `data`; trailing
// bytes (RSA padding) are ignored. `consumed` receives the object's size.
Result<PQInnerData> parse_p_q_inner_data(ByteView data, size_t* consumed = nullptr);
// Serializes (client side; tests).
Bytes serialize_p_q_inner_data(const PQInnerData& d);

// dh_gen_ok / dh_gen_retry / dh_gen_fail body: ctor | nonce | server_nonce | new_nonce_hashN.
Bytes build_dh_gen_answer(uint32_t ctor, const Int128& nonce, const Int128& server_nonce,
                          const Int128& new_nonce_hash);

enum class RsaEncoding {
  kRsaPad,      // current clients (tdlib, GramJS): temp_key_xor | AES-IGE(reversed data + SHA256)
  kLegacySha1,  // old clients (Telethon 1.25): 00 | SHA1(data) | data | random
};

struct DecodedInner {
  PQInnerData inner;
  RsaEncoding encoding;
};

// Decodes the RSA-decrypted 256-byte block of req_DH_params.encrypted_data (docs/spec/wire-notes.md
// §7.4 item 2): the RSA_PAD layout (its SHA256 check) and, when `allow_legacy`, the legacy SHA1
// layout. With `allow_legacy` both layouts are always worked through in full, whatever the
// block holds, so the time taken does not say which check failed (no padding oracle). Fails
// when no allowed layout's hash matches or the inner object does not parse.
Result<DecodedInner> decode_rsa_inner(const crypto::RsaBlock& plain, bool allow_legacy = true);

// Client-side encoders (tests, benchmarks, corpus generation): the 256-byte RSA input for
// `data` (<= 144 bytes for RSA_PAD, <= 235 for legacy), before raw RSA encryption. RSA_PAD
// retries its random temp_key until the block is below the modulus, as the spec requires.
Result<crypto::RsaBlock> rsa_pad_encode(ByteView data, const crypto::RsaPublicKey& key);
Result<crypto::RsaBlock> legacy_rsa_encode(ByteView data);

}  // namespace mtedge::mtproto
