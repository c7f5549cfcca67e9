// RelayAdapter: one instance per worker, all its upstream connections on that worker's loop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "backend-adapters/api/adapter.h"
#include "backend-adapters/relay/config.h"
#include "codecs/core/transport_stack.h"
#include "io/flush_list.h"
#include "io/outbound_queue.h"

namespace mtedge::backend::relay {

class UpstreamConn;

// Builds the client-role transport stack spoken to the upstream: the configured framer, and
// with `obfuscated` an obfuscated2 stage whose init (sent as the preamble) carries the
// client's dc id, else config.default_dc.
std::unique_ptr<codecs::TransportStack> make_upstream_stack(const RelayConfig& config,
                                                            std::optional<int16_t> dc_id,
                                                            uint64_t seed);

class RelayAdapter final : public BackendAdapter {
 public:
  RelayAdapter(std::shared_ptr<const RelayConfig> config, const AdapterContext& context);
  // stop() must have completed (its `done` ran) before the adapter is destroyed.
  ~RelayAdapter() override;

  void on_open(const ConnInfo& info) override;
  bool on_frame(const Frame& frame) override;
  void on_client_drained(ConnId conn) override;
  void on_client_quiet(ConnId conn) override;
  void on_close(ConnId conn, CloseReason reason) override;
  void stop(std::function<void()> done) override;

  size_t live_connections() const { return live_.size(); }

  // Used by UpstreamConn.
  GatewaySink& sink() { return *context_.sink; }
  uv_loop_s* loop() { return context_.loop; }
  const RelayConfig& config() const { return *config_; }
  // The marks of every upstream queue: high max_upstream_buffer_bytes, low half of it,
  // limit twice it plus one frame.
  const io::OutboundMarks& outbound_marks() const { return outbound_marks_; }
  // Flushes `conn` in this loop iteration's check phase (many frames, one write).
  void mark_dirty(UpstreamConn* conn);
  // Removes `conn` from the live set (no more gateway events reach it) and closes it.
  void retire(ConnId id);
  void on_conn_freed(UpstreamConn* conn);
  // One read buffer per worker: libuv calls read right after alloc, and the frame reader
  // copies only an incomplete tail, so nothing refers to it between reads.
  char* read_buffer() { return read_buffer_.data(); }
  size_t read_buffer_size() const { return read_buffer_.size(); }

 private:
  void maybe_done();

  std::shared_ptr<const RelayConfig> config_;
  AdapterContext context_;
  io::OutboundMarks outbound_marks_;
  io::FlushList dirty_;
  bool dirty_closed_ = false;  // stop() closed dirty_ and its handles are closed
  std::unordered_map<ConnId, UpstreamConn*> live_;
  std::vector<char> read_buffer_;
  size_t closing_ = 0;  // connections closed but not yet freed
  uint64_t seed_ = 0;
  bool stopping_ = false;
  std::function<void()> done_;
};

}  // namespace mtedge::backend::relay
