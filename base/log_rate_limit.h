// A rate limit for log lines a client can trigger (a flood must not flood the log): at most one
// line per interval across every thread. Standard library only; any component may use it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace mtedge {

inline constexpr uint64_t kWarnIntervalMs = 10000;

class LogRateLimit {
 public:
  explicit LogRateLimit(uint64_t interval_ms) : interval_ms_(interval_ms) {}

  // Whether to log now; when it says yes, `suppressed` is how many lines it refused since the
  // last one it allowed.
  bool allow(uint64_t& suppressed) {
    const auto now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::steady_clock::now().time_since_epoch())
                                               .count());
    uint64_t next = next_ms_.load(std::memory_order_relaxed);
    if (now < next || !next_ms_.compare_exchange_strong(next, now + interval_ms_)) {
      suppressed_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    suppressed = suppressed_.exchange(0, std::memory_order_relaxed);
    return true;
  }

 private:
  const uint64_t interval_ms_;
  std::atomic<uint64_t> next_ms_{0};
  std::atomic<uint64_t> suppressed_{0};
};

}  // namespace mtedge
