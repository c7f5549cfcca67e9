// spdlog setup from [log]. Log lines carry ids, addresses, sizes and error names; never
// payload bytes, keys or secrets.
#pragma once

#include <atomic>
#include <cstdint>

#include "gateway/runtime/config.h"

namespace mtedge::gateway {

// Installs the process-wide logger on stderr: `text` is "<UTC time> <level> <message>",
// `json` one object per line {"time","level","thread","msg"}.
void setup_logging(const LogConfig& config);

// For log lines a client can trigger (a flood must not flood the log): at most one line per
// interval across every thread. allow() says whether to log now and how many lines were
// suppressed since the last one logged.
inline constexpr uint64_t kWarnIntervalMs = 10000;
class LogRateLimit {
 public:
  explicit LogRateLimit(uint64_t interval_ms) : interval_ms_(interval_ms) {}
  bool allow(uint64_t& suppressed);

 private:
  const uint64_t interval_ms_;
  std::atomic<uint64_t> next_ms_{0};
  std::atomic<uint64_t> suppressed_{0};
};

}  // namespace mtedge::gateway
