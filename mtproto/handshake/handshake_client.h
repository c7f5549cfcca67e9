// Client side of the DH key exchange, for tests, benchmarks and fuzz-corpus generation (the
// gateway never runs it). Produces message bodies (no unencrypted-message header) and checks
// the server's answers like a real client: nonces, SHA1 of the DH answer, new_nonce_hashN.
// Hooks let negative tests tamper with each step.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/rsa.h"
#include "mtproto/handshake/messages.h"
#include "mtproto/keys/auth_key.h"
#include "mtproto/keys/kdf.h"

namespace mtedge::mtproto {

struct HandshakeClientOptions {
  crypto::RsaPublicKey server_key;
  RsaEncoding encoding = RsaEncoding::kRsaPad;
  uint32_t inner_constructor = handshake_ids::kPQInnerDataDc;  // or _PQInnerData/_Temp/_TempDc
  int32_t dc = 2;
  int32_t expires_in = 3600;  // temp keys
  bool use_req_pq_multi = true;
};

struct ReqDhParamsFields {  // what req_DH_params carries, editable by a hook
  Int128 nonce{}, server_nonce{};
  Bytes p, q;
  uint64_t fingerprint = 0;
  Bytes encrypted_data;
};

struct HandshakeClientHooks {
  std::function<void(PQInnerData&)> inner;         // before RSA encoding
  std::function<void(ReqDhParamsFields&)> req_dh;  // before serialization
  std::function<void(Bytes& g_b)> g_b;             // before client_DH_inner_data
  std::function<void(Bytes& plain)> set_plain;     // SHA1 || data || pad, before AES
};

class HandshakeClient {
 public:
  explicit HandshakeClient(HandshakeClientOptions options);

  Bytes req_pq();
  // resPQ -> req_DH_params.
  Result<Bytes> on_res_pq(ByteView body);
  // server_DH_params_ok -> set_client_DH_params.
  Result<Bytes> on_server_dh_params(ByteView body);

  struct GenResult {
    enum class Kind { kOk, kRetry, kFail } kind;
    Bytes next;  // kRetry: the next set_client_DH_params body
  };
  // dh_gen_ok / dh_gen_retry / dh_gen_fail (verifies new_nonce_hashN).
  Result<GenResult> on_dh_gen(ByteView body);

  HandshakeClientHooks hooks;
  const Int128& nonce() const { return nonce_; }
  const Int128& server_nonce() const { return server_nonce_; }
  const Int256& new_nonce() const { return new_nonce_; }
  const AuthKey& auth_key() const { return auth_key_; }
  uint64_t server_salt() const { return initial_server_salt(new_nonce_, server_nonce_); }
  int32_t server_time() const { return server_time_; }

 private:
  Result<Bytes> build_set_client_dh_params();

  HandshakeClientOptions options_;
  Int128 nonce_{}, server_nonce_{};
  Int256 new_nonce_{};
  uint64_t pq_ = 0;
  uint32_t g_ = 0;
  Bytes dh_prime_, g_a_;
  int32_t server_time_ = 0;
  uint64_t retry_id_ = 0;
  AuthKey auth_key_;
};

// Factors a pq of two primes (Pollard rho); nullopt if it fails. p < q.
std::optional<std::pair<uint64_t, uint64_t>> factor_pq(uint64_t pq);

}  // namespace mtedge::mtproto
