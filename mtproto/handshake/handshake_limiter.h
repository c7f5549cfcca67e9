// Limits on DH handshakes (RSA decryption and two 2048-bit modexps are the most expensive work an
// unauthenticated peer can trigger), keyed by a source bucket (the gateway passes an IPv4
// address or an IPv6 /64 prefix):
// - in flight: per source and in the whole process, a Permit per handshake between its
//   req_DH_params and its end (dh_gen_*, failure, timeout, or its connection closing);
// - rate: a token bucket per source, one token per handshake started (req_DH_params), refilled
//   at per_second_per_source up to burst_per_source.
// An empty source is exempt from both per-source limits (the gateway passes "" for loopback
// sources unless gateway.limit_loopback_sources is on): only max_global applies.
// Thread-safe; shared by all workers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mtedge::mtproto {

struct HandshakeLimiterConfig {
  size_t max_per_source = 16;  // handshakes in flight from one source
  size_t max_global = 4096;    // handshakes in flight in the whole process
  uint32_t per_second_per_source =
      20;                          // handshakes started per second per source; 0: no rate limit
  uint32_t burst_per_source = 40;  // the bucket's size (handshakes at once after a quiet spell)
};

class HandshakeLimiter : public std::enable_shared_from_this<HandshakeLimiter> {
 public:
  // Why try_acquire refused (for the refusal counters).
  enum class Refusal { kNone, kSourceInFlight, kGlobalInFlight, kSourceRate };

  // A slot held while one handshake is in flight; released on destruction. Move-only.
  class Permit {
   public:
    Permit() = default;
    Permit(Permit&& other) noexcept { *this = std::move(other); }
    Permit& operator=(Permit&& other) noexcept;
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    ~Permit() { release(); }
    void release();
    explicit operator bool() const { return limiter_ != nullptr; }

   private:
    friend class HandshakeLimiter;
    std::shared_ptr<HandshakeLimiter> limiter_;
    std::string source_;
  };

  static std::shared_ptr<HandshakeLimiter> create(HandshakeLimiterConfig config);

  // A permit for one more handshake from `source` at `now_ms` (a monotonic or unix clock in
  // milliseconds; only differences matter), or an empty Permit and `*why` when a cap or the
  // rate is exceeded (the caller answers -429). A refusal takes no token.
  Permit try_acquire(std::string_view source, int64_t now_ms, Refusal* why = nullptr);
  size_t in_flight() const;
  size_t in_flight(std::string_view source) const;
  // Forgets sources with nothing in flight whose bucket is full again (bounds memory).
  void sweep(int64_t now_ms);
  size_t sources() const;

 private:
  struct Source {
    size_t in_flight = 0;
    double tokens = 0;
    int64_t refilled_ms = 0;
  };
  explicit HandshakeLimiter(HandshakeLimiterConfig config) : config_(config) {}
  void release(const std::string& source);
  void refill(Source& s, int64_t now_ms) const;

  HandshakeLimiterConfig config_;
  mutable std::mutex mu_;
  size_t total_ = 0;
  std::unordered_map<std::string, Source> sources_;
};

}  // namespace mtedge::mtproto
