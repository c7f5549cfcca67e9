#include "mtproto/handshake/handshake_limiter.h"

#include <algorithm>
#include <iterator>

namespace mtedge::mtproto {

HandshakeLimiter::Permit& HandshakeLimiter::Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    release();
    limiter_ = std::move(other.limiter_);
    source_ = std::move(other.source_);
    other.limiter_.reset();
  }
  return *this;
}

void HandshakeLimiter::Permit::release() {
  if (limiter_) {
    limiter_->release(source_);
    limiter_.reset();
  }
}

std::shared_ptr<HandshakeLimiter> HandshakeLimiter::create(HandshakeLimiterConfig config) {
  return std::shared_ptr<HandshakeLimiter>(new HandshakeLimiter(config));
}

void HandshakeLimiter::refill(Source& s, int64_t now_ms) const {
  if (now_ms > s.refilled_ms) {
    s.tokens = std::min<double>(config_.burst_per_source,
                                s.tokens + static_cast<double>(now_ms - s.refilled_ms) *
                                               config_.per_second_per_source / 1000.0);
  }
  s.refilled_ms = now_ms;
}

HandshakeLimiter::Permit HandshakeLimiter::try_acquire(std::string_view source, int64_t now_ms,
                                                       Refusal* why) {
  Permit p;
  Refusal refusal = Refusal::kNone;
  std::lock_guard lock(mu_);
  if (source.empty()) {  // an exempt source: only the process-wide cap applies
    if (total_ >= config_.max_global) refusal = Refusal::kGlobalInFlight;
    if (why != nullptr) *why = refusal;
    if (refusal != Refusal::kNone) return p;
    ++total_;
    p.limiter_ = shared_from_this();
    return p;
  }
  std::string key(source);
  auto [it, added] = sources_.try_emplace(key);
  Source& s = it->second;
  if (added) {
    s.tokens = config_.burst_per_source;
    s.refilled_ms = now_ms;
  }
  refill(s, now_ms);
  const bool rate_limited = config_.per_second_per_source > 0;
  if (total_ >= config_.max_global) {
    refusal = Refusal::kGlobalInFlight;
  } else if (s.in_flight >= config_.max_per_source) {
    refusal = Refusal::kSourceInFlight;
  } else if (rate_limited && s.tokens < 1.0) {
    refusal = Refusal::kSourceRate;
  }
  if (why != nullptr) *why = refusal;
  if (refusal != Refusal::kNone) {
    if (added) sources_.erase(it);  // full bucket, nothing in flight: nothing to remember
    return p;
  }
  if (rate_limited) s.tokens -= 1.0;
  ++s.in_flight;
  ++total_;
  p.limiter_ = shared_from_this();
  p.source_ = std::move(key);
  return p;
}

void HandshakeLimiter::release(const std::string& source) {
  std::lock_guard lock(mu_);
  --total_;
  if (source.empty()) return;
  auto it = sources_.find(source);
  if (it != sources_.end() && it->second.in_flight > 0) --it->second.in_flight;
}

void HandshakeLimiter::sweep(int64_t now_ms) {
  std::lock_guard lock(mu_);
  for (auto it = sources_.begin(); it != sources_.end();) {
    refill(it->second, now_ms);
    const bool idle = it->second.in_flight == 0 && it->second.tokens >= config_.burst_per_source;
    it = idle ? sources_.erase(it) : std::next(it);
  }
}

size_t HandshakeLimiter::sources() const {
  std::lock_guard lock(mu_);
  return sources_.size();
}

size_t HandshakeLimiter::in_flight() const {
  std::lock_guard lock(mu_);
  return total_;
}

size_t HandshakeLimiter::in_flight(std::string_view source) const {
  std::lock_guard lock(mu_);
  auto it = sources_.find(std::string(source));
  return it == sources_.end() ? 0 : it->second.in_flight;
}

}  // namespace mtedge::mtproto
