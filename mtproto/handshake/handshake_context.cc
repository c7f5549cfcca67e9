#include "mtproto/handshake/handshake_context.h"

#include <cstring>

#include "mtproto/handshake/exchange.h"

namespace mtedge::mtproto {

size_t HandshakeContext::NonceHash::operator()(const Int128& n) const {
  uint64_t a, b;
  std::memcpy(&a, n.data(), 8);
  std::memcpy(&b, n.data() + 8, 8);
  return std::hash<uint64_t>()(a ^ (b * 0x9e3779b97f4a7c15ull));
}

Result<std::shared_ptr<HandshakeContext>> HandshakeContext::create(
    HandshakeConfig config, std::vector<crypto::RsaPrivateKey> keys,
    std::shared_ptr<AuthKeyStore> store, std::shared_ptr<HandshakeLimiter> limiter, DhGroup group) {
  if (keys.empty()) return Status::error("handshake: no RSA keys");
  if (!store) return Status::error("handshake: no auth key store");
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].public_key().modulus_bits() != 2048)
      return Status::error("handshake: RSA key is not 2048-bit");
    for (size_t j = 0; j < i; ++j)
      if (keys[j].fingerprint() == keys[i].fingerprint())
        return Status::error("handshake: duplicate RSA key fingerprint");
  }
  if (config.dc_id <= 0 || config.dc_id >= 10000)
    return Status::error("handshake: dc_id out of range");
  if (config.max_in_flight_per_connection == 0 || config.max_exchanges == 0)
    return Status::error("handshake: caps must be positive");
  if (auto st = group.check(); !st) return st;
  auto modulus = crypto::MontgomeryModulus::create(group.prime);
  if (!modulus) return Status::error("handshake: " + modulus.message());
  std::shared_ptr<HandshakeContext> ctx(new HandshakeContext());
  ctx->config_ = config;
  ctx->modulus_ = std::move(modulus).value();
  if (config.dh_precompute > 0)
    ctx->dh_pool_ = std::make_unique<DhPairPool>(group, ctx->modulus_, config.dh_precompute);
  ctx->group_ = std::move(group);
  ctx->keys_ = std::move(keys);
  ctx->store_ = std::move(store);
  ctx->limiter_ = std::move(limiter);
  return ctx;
}

const crypto::RsaPrivateKey* HandshakeContext::key_by_fingerprint(uint64_t fingerprint) const {
  for (const auto& k : keys_)
    if (k.fingerprint() == fingerprint) return &k;
  return nullptr;
}

void HandshakeContext::sweep_locked(int64_t now_ms) {
  last_sweep_ms_ = now_ms;
  for (auto it = exchanges_.begin(); it != exchanges_.end();) {
    // expires_ms is written under the exchange's own mutex; a stale read here only delays
    // removal to the next sweep.
    std::unique_lock ex_lock(it->second->mu, std::try_to_lock);
    if (ex_lock.owns_lock() && it->second->expires_ms <= now_ms) {
      it->second->permit.release();
      ex_lock.unlock();
      it = exchanges_.erase(it);
    } else {
      ++it;
    }
  }
}

void HandshakeContext::sweep(int64_t now_ms) {
  {
    std::lock_guard lock(mu_);
    sweep_locked(now_ms);
  }
  if (limiter_) limiter_->sweep(now_ms);
}

size_t HandshakeContext::exchanges(int64_t now_ms) {
  std::lock_guard lock(mu_);
  sweep_locked(now_ms);
  return exchanges_.size();
}

std::shared_ptr<Exchange> HandshakeContext::find_exchange(const Int128& nonce, int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (now_ms - last_sweep_ms_ > 1000) sweep_locked(now_ms);
  auto it = exchanges_.find(nonce);
  return it == exchanges_.end() ? nullptr : it->second;
}

void HandshakeContext::forget_exchange(const Int128& nonce) {
  std::lock_guard lock(mu_);
  exchanges_.erase(nonce);
}

bool HandshakeContext::add_exchange(const std::shared_ptr<Exchange>& ex, int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (exchanges_.size() >= config_.max_exchanges) sweep_locked(now_ms);
  if (exchanges_.size() >= config_.max_exchanges) return false;
  return exchanges_.emplace(ex->nonce, ex).second;
}

}  // namespace mtedge::mtproto
