#include "mtproto/handshake/handshake_limiter.h"

namespace mtedge::mtproto {

HandshakeLimiter::Permit& HandshakeLimiter::Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    release();
    limiter_ = std::move(other.limiter_);
    ip_ = std::move(other.ip_);
    other.limiter_.reset();
  }
  return *this;
}

void HandshakeLimiter::Permit::release() {
  if (limiter_) {
    limiter_->release(ip_);
    limiter_.reset();
  }
}

std::shared_ptr<HandshakeLimiter> HandshakeLimiter::create(HandshakeLimiterConfig config) {
  return std::shared_ptr<HandshakeLimiter>(new HandshakeLimiter(config));
}

HandshakeLimiter::Permit HandshakeLimiter::try_acquire(std::string_view ip) {
  Permit p;
  std::lock_guard lock(mu_);
  if (total_ >= config_.max_global) return p;
  std::string key(ip);
  size_t& n = per_ip_[key];
  if (n >= config_.max_per_ip) {
    if (n == 0) per_ip_.erase(key);
    return p;
  }
  ++n;
  ++total_;
  p.limiter_ = shared_from_this();
  p.ip_ = std::move(key);
  return p;
}

void HandshakeLimiter::release(const std::string& ip) {
  std::lock_guard lock(mu_);
  --total_;
  auto it = per_ip_.find(ip);
  if (it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
}

size_t HandshakeLimiter::in_flight() const {
  std::lock_guard lock(mu_);
  return total_;
}

size_t HandshakeLimiter::in_flight(std::string_view ip) const {
  std::lock_guard lock(mu_);
  auto it = per_ip_.find(std::string(ip));
  return it == per_ip_.end() ? 0 : it->second;
}

}  // namespace mtedge::mtproto
