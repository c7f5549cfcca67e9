// The process-wide part of the edge crypto stage (docs/mtproto.md "The edge decryption
// stage"): the RSA keys, the auth key store and the DH handshake context, shared by every
// worker's EdgeStage (gateway/edge/edge_stage.h). Everything here is thread-safe once open() has
// returned.
#pragma once

#include <cstdint>
#include <memory>

#include "base/status.h"
#include "gateway/edge/crypto_pool.h"
#include "gateway/edge/dh_refill_thread.h"
#include "gateway/runtime/config.h"
#include "mtproto/auth_keys/auth_key_store.h"
#include "mtproto/handshake/handshake_context.h"

namespace mtedge::gateway {

class EdgeCrypto {
 public:
  // Opens the auth key store (loading crypto.auth_key_file when set), builds the handshake
  // context from crypto.rsa_keys and the [crypto] limits, and logs each RSA key's fingerprint
  // and how many auth keys were loaded (never key material). Call once, before any worker
  // runs; a failure names the config key it comes from.
  Status open(const CryptoConfig& config);
  bool is_open() const { return handshake_ != nullptr; }

  // Null before open().
  const std::shared_ptr<mtproto::AuthKeyStore>& store() const { return store_; }
  const std::shared_ptr<mtproto::HandshakeContext>& handshake() const { return handshake_; }
  // The threads for expensive handshake steps (crypto.handshake_threads); null when that is 0
  // (or before open()).
  CryptoPool* pool() const { return pool_.get(); }

  // Drops handshakes whose time is up and expired temporary keys. Worker 0's stage calls it
  // periodically so an idle server does not hold them.
  void sweep(int64_t now_ms);

 private:
  std::shared_ptr<mtproto::AuthKeyStore> store_;
  std::shared_ptr<mtproto::HandshakeContext> handshake_;
  // Keeps handshake_'s DH pair pool full (crypto.dh_precompute > 0); stops before it goes.
  std::unique_ptr<DhRefillThread> refill_;
  std::unique_ptr<CryptoPool> pool_;  // last: its threads stop before the state they use goes
};

}  // namespace mtedge::gateway
