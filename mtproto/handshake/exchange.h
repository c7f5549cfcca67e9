// One DH exchange in progress (internal to the handshake module). Identified by the client's
// nonce; server_nonce must match on every later step. Guarded by its own mutex.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "base/bytes.h"
#include "crypto/hash.h"
#include "mtproto/handshake/handshake_limiter.h"
#include "mtproto/keys/kdf.h"

namespace mtedge::mtproto {

struct Exchange {
  enum class Stage { kResPqSent, kDhParamsSent, kDone, kDead };

  std::mutex mu;
  Stage stage = Stage::kResPqSent;
  Int128 nonce{};
  Int128 server_nonce{};
  std::string source;  // the source bucket of the connection that sent req_pq
  uint64_t p = 0, q = 0, pq = 0;
  int64_t expires_ms = 0;  // timeout while in progress; reply-cache lifetime once done

  uint32_t req_pq_ctor = 0;
  Bytes res_pq;  // cached resPQ body

  crypto::Sha256Digest dh_request_hash{};
  Bytes dh_reply;  // cached server_DH_params_ok/fail body
  Int256 new_nonce{};
  Bytes a;  // server DH secret (256 bytes BE); wiped when done
  bool temp = false;
  int32_t expires_in = 0;
  int32_t dc = 0;

  crypto::Sha256Digest set_request_hash{};
  Bytes set_reply;        // cached dh_gen_* body for the last set_client_DH_params
  uint64_t retry_id = 0;  // expected client retry_id (aux hash of the previous attempt)
  int retries = 0;
  uint64_t auth_key_id = 0;  // the key a dh_gen_ok created (0: none)

  // Per-source / global slot, from req_DH_params (where the cost is) until the exchange ends.
  HandshakeLimiter::Permit permit;
};

}  // namespace mtedge::mtproto
