// State shared by every connection's HandshakeServer: RSA keys, the DH group, this DC's id,
// limits, the auth key store and the table of exchanges in progress (which also caches the
// replies, so an identical repeated request gets the identical reply). Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "crypto/bignum.h"
#include "crypto/rsa.h"
#include "mtproto/auth_keys/auth_key_store.h"
#include "mtproto/handshake/dh_group.h"
#include "mtproto/handshake/dh_pair_pool.h"
#include "mtproto/handshake/handshake_limiter.h"
#include "mtproto/keys/kdf.h"

namespace mtedge::mtproto {

struct HandshakeConfig {
  int32_t dc_id = 2;            // this DC, as clients write it in p_q_inner_data_dc
  bool test_dc = false;         // a test DC: clients send dc_id + 10000
  bool accept_media_dc = true;  // also accept -dc_id (clients creating keys for media DCs)
  bool allow_temp_keys = true;  // accept p_q_inner_data_temp* (PFS); else server_DH_params_fail
  int32_t max_temp_expires_in = 86400 * 7;  // longer requests are clamped to this (seconds)
  int64_t timeout_ms = 30'000;  // from resPQ to dh_gen_ok; later queries of the exchange: -404
  // How long a finished exchange keeps its replies for identical repeated requests.
  int64_t reply_cache_ms = 60'000;
  size_t max_in_flight_per_connection = 2;  // exchanges a connection may have open
  size_t max_exchanges = 100'000;  // table bound (memory); beyond it new exchanges get -429
  int max_retries = 4;             // dh_gen_retry answers before dh_gen_fail
  // Accept the legacy RSA layout (00 | SHA1 | data) in req_DH_params besides RSA_PAD. Old
  // clients (Telethon 1.x) send only that one; without it their req_DH_params gets -404.
  bool allow_legacy_rsa = true;
  // Bound of the pool of precomputed server DH pairs (b, g^b) for the group (DhPairPool);
  // 0: no pool, every req_DH_params computes its own g^b. Someone must refill the pool
  // (gateway/edge/dh_refill_thread.h, or refill_one() in tests and benchmarks).
  size_t dh_precompute = 0;
};

struct Exchange;  // handshake_server.cc

class HandshakeContext {
 public:
  // `keys`: at least one 2048-bit RSA key (several fingerprints are offered in resPQ).
  // `store`: where completed keys go (also the auth_key_id collision check).
  // `limiter`: optional per-source / global caps and per-source rate (see HandshakeLimiter).
  // `group`: checked with DhGroup::check() here, once (memoized per process).
  static Result<std::shared_ptr<HandshakeContext>> create(
      HandshakeConfig config, std::vector<crypto::RsaPrivateKey> keys,
      std::shared_ptr<AuthKeyStore> store, std::shared_ptr<HandshakeLimiter> limiter = nullptr,
      DhGroup group = DhGroup::telegram_default());

  const HandshakeConfig& config() const { return config_; }
  const DhGroup& group() const { return group_; }
  // The group's prime with its Montgomery context, built once in create().
  const crypto::MontgomeryModulus& modulus() const { return modulus_; }
  // The precomputed pairs of group() (config().dh_precompute); null when that is 0.
  DhPairPool* dh_pool() const { return dh_pool_.get(); }
  const std::vector<crypto::RsaPrivateKey>& keys() const { return keys_; }
  const crypto::RsaPrivateKey* key_by_fingerprint(uint64_t fingerprint) const;
  AuthKeyStore& store() const { return *store_; }
  HandshakeLimiter* limiter() const { return limiter_.get(); }

  // Exchanges in the table (in progress or keeping replies); drops expired ones first.
  size_t exchanges(int64_t now_ms);
  // Drops exchanges whose time is up (and the limiter's idle sources). Called by
  // HandshakeServer as it goes; a periodic call from the owner bounds memory on an idle server.
  void sweep(int64_t now_ms);

 private:
  friend class HandshakeServer;
  HandshakeContext() = default;

  std::shared_ptr<Exchange> find_exchange(const Int128& nonce, int64_t now_ms);
  // Adds a new exchange; false when the table is full.
  bool add_exchange(const std::shared_ptr<Exchange>& ex, int64_t now_ms);
  void forget_exchange(const Int128& nonce);
  void sweep_locked(int64_t now_ms);

  HandshakeConfig config_;
  DhGroup group_;
  crypto::MontgomeryModulus modulus_;
  std::unique_ptr<DhPairPool> dh_pool_;
  std::vector<crypto::RsaPrivateKey> keys_;
  std::shared_ptr<AuthKeyStore> store_;
  std::shared_ptr<HandshakeLimiter> limiter_;

  struct NonceHash {
    size_t operator()(const Int128& n) const;
  };
  std::mutex mu_;
  std::unordered_map<Int128, std::shared_ptr<Exchange>, NonceHash> exchanges_;
  int64_t last_sweep_ms_ = 0;
};

}  // namespace mtedge::mtproto
