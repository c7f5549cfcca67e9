#include "mtproto/handshake/dh_pair_pool.h"

#include "crypto/random.h"
#include "crypto/secret_bytes.h"

namespace mtedge::mtproto {
namespace {

constexpr size_t kDhBytes = 256;
constexpr int kMaxDraws = 10;  // a bad draw has probability ~2^-60; ten in a row is a bug

}  // namespace

DhPair::~DhPair() {
  crypto::wipe(secret.data(), secret.size());
}

Result<DhPair> compute_dh_pair(const DhGroup& group, const crypto::MontgomeryModulus& modulus) {
  DhPair pair;
  for (int draw = 0; draw < kMaxDraws; ++draw) {
    pair.secret.assign(kDhBytes, 0);
    crypto::random_bytes(pair.secret);
    auto value = modulus.pow_u32(group.g, pair.secret, kDhBytes);
    if (!value) return value.status();
    if (crypto::is_good_dh_value(*value, group.prime)) {
      pair.public_value = std::move(value).value();
      return pair;
    }
    crypto::wipe(pair.secret.data(), pair.secret.size());
  }
  return Status::error("dh: cannot draw a public value in range");
}

DhPairPool::DhPairPool(DhGroup group, crypto::MontgomeryModulus modulus, size_t capacity)
    : group_(std::move(group)), modulus_(std::move(modulus)), capacity_(capacity) {}

DhPairPool::~DhPairPool() = default;

std::optional<DhPair> DhPairPool::take() {
  std::optional<DhPair> out;
  {
    std::lock_guard lock(mu_);
    if (pairs_.empty()) {
      ++misses_;
      return std::nullopt;
    }
    out.emplace(std::move(pairs_.front()));
    pairs_.pop_front();
    ++taken_;
  }
  room_.notify_one();
  return out;
}

bool DhPairPool::refill_one() {
  {
    std::lock_guard lock(mu_);
    if (closed_ || pairs_.size() >= capacity_) return false;
  }
  auto pair = compute_dh_pair(group_, modulus_);
  if (!pair) return false;
  std::lock_guard lock(mu_);
  if (closed_ || pairs_.size() >= capacity_) return false;  // `pair` is wiped on return
  pairs_.push_back(std::move(pair).value());
  return true;
}

bool DhPairPool::wait_for_room() {
  std::unique_lock lock(mu_);
  room_.wait(lock, [this] { return closed_ || pairs_.size() < capacity_; });
  return !closed_;
}

void DhPairPool::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  room_.notify_all();
}

DhPairPool::Stats DhPairPool::stats() const {
  std::lock_guard lock(mu_);
  return Stats{pairs_.size(), capacity_, taken_, misses_};
}

}  // namespace mtedge::mtproto
