// Caps on DH handshakes in flight per peer IP and in total (RSA decryption and modexp are the
// most expensive work an unauthenticated peer can trigger). Thread-safe; shared by all workers.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mtedge::mtproto {

struct HandshakeLimiterConfig {
  size_t max_per_ip = 16;    // handshakes in flight from one IP
  size_t max_global = 4096;  // handshakes in flight in the whole process
};

class HandshakeLimiter : public std::enable_shared_from_this<HandshakeLimiter> {
 public:
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
    std::string ip_;
  };

  static std::shared_ptr<HandshakeLimiter> create(HandshakeLimiterConfig config);

  // A permit for one more handshake from `ip`, or an empty Permit when a cap is reached (the
  // caller answers -429 / closes).
  Permit try_acquire(std::string_view ip);
  size_t in_flight() const;
  size_t in_flight(std::string_view ip) const;

 private:
  explicit HandshakeLimiter(HandshakeLimiterConfig config) : config_(config) {}
  void release(const std::string& ip);

  HandshakeLimiterConfig config_;
  mutable std::mutex mu_;
  size_t total_ = 0;
  std::unordered_map<std::string, size_t> per_ip_;
};

}  // namespace mtedge::mtproto
