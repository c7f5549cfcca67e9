#include "gateway/conn/fronting_driver.h"

#include "base/log_rate_limit.h"

namespace mtedge::gateway {

using backend::CloseReason;

FrontingDriver::FrontingDriver(ConnPort& port, uv_loop_t* loop, ByteView raw) : port_(port) {
  const ConnSettings& s = port.settings();
  port.arm_timer(s.idle_timeout_ms);
  link_ = FrontingLink::start(loop, *port.listener().fronting, this, raw, s.write_buffer_high,
                              s.fronting_connect_timeout_ms);
}

void FrontingDriver::on_bytes(MutableByteView data) {
  if (link_ != nullptr && !link_->send(data)) port_.stop_reading();  // fronting_drained()
}

void FrontingDriver::on_timer() {
  const uint64_t elapsed = port_.now_ms() - port_.last_activity_ms();
  const uint64_t idle = port_.settings().idle_timeout_ms;
  if (elapsed < idle) {
    port_.arm_timer(idle - elapsed);
    return;
  }
  note_error(port_, ConnError::kIdleTimeout);
  port_.close_now(CloseReason::kTimeout);
}

void FrontingDriver::on_drained() {
  if (link_ != nullptr) link_->resume();
}

void FrontingDriver::on_close() {
  if (link_ != nullptr) {
    link_->detach();
    link_ = nullptr;
  }
}

bool FrontingDriver::fronting_data(ByteView bytes) {
  if (port_.closing() || !port_.room_for(bytes.size())) return false;
  Bytes& out = port_.out();
  out.insert(out.end(), bytes.begin(), bytes.end());
  port_.touch();
  return port_.after_enqueue();
}

void FrontingDriver::fronting_drained() {
  if (!port_.closing()) port_.start_reading();
}

void FrontingDriver::fronting_closed(bool connected) {
  link_ = nullptr;
  if (!connected) {
    port_.metrics().count(FrontingOutcome::kConnectFailed);
    // Once per rejected connection: rate-limited.
    static LogRateLimit limit(kWarnIntervalMs);
    if (uint64_t suppressed = 0; limit.allow(suppressed)) {
      spdlog::warn("listener {}: fronting server {} unreachable ({} more such lines suppressed)",
                   port_.listener().name, port_.listener().fronting_text, suppressed);
    }
  }
  port_.begin_close(CloseReason::kPeerClosed);
}

}  // namespace mtedge::gateway
