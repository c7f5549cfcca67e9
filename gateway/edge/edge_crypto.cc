#include "gateway/edge/edge_crypto.h"

#include <spdlog/spdlog.h>

#include "mtproto/auth_keys/memory_auth_key_store.h"
#include "mtproto/handshake/handshake_limiter.h"

namespace mtedge::gateway {
namespace {

constexpr size_t kQueuedStepsPerThread = 256;

}  // namespace

Status EdgeCrypto::open(const CryptoConfig& config) {
  mtproto::MemoryAuthKeyStoreOptions store_options;
  store_options.path = config.auth_key_file;
  // The store creates a missing directory (mode 0700): the default lives in a git-ignored var/
  // that a fresh clone does not have yet.
  auto store = mtproto::MemoryAuthKeyStore::open(store_options);
  if (!store) return Status::error("crypto.auth_key_file: " + store.message());
  for (const std::string& note : store.value()->load_notes()) {
    spdlog::warn("crypto.auth_key_file: {}", note);
  }
  const size_t loaded = store.value()->size();
  store_ = std::shared_ptr<mtproto::AuthKeyStore>(std::move(store).value());

  mtproto::HandshakeConfig hs;
  hs.dc_id = config.dc_id;
  hs.test_dc = config.test_dc;
  hs.allow_temp_keys = config.allow_temp_keys;
  hs.timeout_ms = config.handshake_timeout_ms;
  hs.max_in_flight_per_connection = config.max_handshakes_per_connection;
  hs.allow_legacy_rsa = config.allow_legacy_rsa;
  hs.dh_precompute = config.dh_precompute;
  mtproto::HandshakeLimiterConfig limits;
  limits.max_per_source = config.max_handshakes_per_ip;
  limits.max_global = config.max_handshakes;
  limits.per_second_per_source = config.max_handshakes_per_second_per_source;
  limits.burst_per_source = config.handshake_burst_per_source;
  auto context = mtproto::HandshakeContext::create(hs, config.rsa_keys, store_,
                                                   mtproto::HandshakeLimiter::create(limits));
  if (!context) {
    store_.reset();
    return Status::error("crypto: " + context.message());
  }
  handshake_ = std::move(context).value();
  if (mtproto::DhPairPool* pairs = handshake_->dh_pool()) {
    refill_ = std::make_unique<DhRefillThread>(*pairs);
    spdlog::info("edge crypto: up to {} DH pairs precomputed at idle priority",
                 config.dh_precompute);
  }
  // About a second of queued work (a step is a few ms): past it, req_DH_params gets -429.
  if (config.handshake_threads > 0) {
    pool_ = std::make_unique<CryptoPool>(config.handshake_threads,
                                         kQueuedStepsPerThread * config.handshake_threads);
  }

  for (size_t i = 0; i < config.rsa_keys.size(); ++i) {
    spdlog::info("edge crypto: RSA key {} ({}) fingerprint {:#018x}", i,
                 i < config.rsa_private_key_paths.size() ? config.rsa_private_key_paths[i] : "?",
                 config.rsa_keys[i].fingerprint());
  }
  if (config.auth_key_file.empty()) {
    spdlog::warn("edge crypto: crypto.auth_key_file is not set; auth keys are lost on restart");
  } else {
    spdlog::info("edge crypto: {} auth keys loaded from {}", loaded, config.auth_key_file);
  }
  return Status::ok();
}

void EdgeCrypto::sweep(int64_t now_ms) {
  if (!is_open()) return;
  handshake_->sweep(now_ms);
  const size_t expired = store_->erase_expired(now_ms / 1000);
  if (expired > 0) spdlog::debug("edge crypto: {} expired temporary auth keys dropped", expired);
}

}  // namespace mtedge::gateway
