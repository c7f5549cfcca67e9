#include "backend-adapters/relay/adapter.h"

#include <spdlog/spdlog.h>
#include <uv.h>

#include <cassert>
#include <random>

#include "backend-adapters/relay/upstream.h"
#include "codecs/framers/framers.h"
#include "codecs/obfuscated/obfuscated2.h"

namespace mtedge::backend::relay {

std::unique_ptr<codecs::TransportStack> make_upstream_stack(const RelayConfig& config,
                                                            std::optional<int16_t> dc_id,
                                                            uint64_t seed) {
  auto framer = codecs::make_framer(config.transport, codecs::Role::kClient, seed);
  // The upstream is a server we chose to trust, so its first packet may be as large as any.
  codecs::FrameLimits limits;
  limits.max_frame = config.max_frame_bytes;
  limits.first_frame_max = config.max_frame_bytes;
  auto stack = std::make_unique<codecs::TransportStack>(std::move(framer), limits);
  if (config.obfuscated) {
    codecs::obfuscated::add_client_obfuscation(*stack, dc_id.value_or(config.default_dc),
                                               config.secret ? &config.secret->key : nullptr);
  }
  return stack;
}

RelayAdapter::RelayAdapter(std::shared_ptr<const RelayConfig> config, const AdapterContext& context)
    : config_(std::move(config)),
      context_(context),
      dirty_(context.loop, &io::FlushList::call<UpstreamConn, &UpstreamConn::flush>),
      read_buffer_(64 * 1024) {
  assert(context_.loop != nullptr && context_.sink != nullptr);
  const size_t cap = config_->max_upstream_buffer_bytes;
  outbound_marks_ = {cap, cap / 2, 2 * cap + config_->max_frame_bytes};
  seed_ = std::random_device{}();
  seed_ = (seed_ << 32) ^ std::random_device{}() ^ context_.worker;
}

RelayAdapter::~RelayAdapter() {
  assert(live_.empty() && closing_ == 0);
}

void RelayAdapter::on_open(const ConnInfo& info) {
  if (stopping_) {
    sink().close(info.id, "relay stopping");
    return;
  }
  const UpstreamAddress& upstream = config_->upstream_for(info.dc_id);
  uint64_t seed = seed_ ^ (info.id * 0x9e3779b97f4a7c15ull);
  auto* conn =
      new UpstreamConn(*this, info.id, upstream, make_upstream_stack(*config_, info.dc_id, seed));
  auto [it, inserted] = live_.emplace(info.id, conn);
  if (!inserted) {
    // A connection id is never reused while open; treat a repeat as the old one ending.
    retire(info.id);
    live_.emplace(info.id, conn);
  }
  spdlog::debug("relay: conn {:#x} ({}, dc {}) -> upstream {} over {}", info.id,
                transport_path(info),
                info.dc_id ? std::to_string(*info.dc_id) : std::string("none"), upstream.text,
                codecs::transport_name(config_->transport));
  conn->start();
}

bool RelayAdapter::on_frame(const Frame& frame) {
  auto it = live_.find(frame.conn_id);
  if (it == live_.end()) return true;  // already failed; the gateway is closing it
  UpstreamConn* conn = it->second;
  if (frame.kind == FrameKind::kDecrypted) {
    conn->fail("relay needs edge decryption off (got a decrypted frame)", true);
    return true;
  }
  return conn->send(frame.packet, frame.quick_ack);
}

void RelayAdapter::on_client_quiet(ConnId id) {
  auto it = live_.find(id);
  if (it != live_.end()) it->second->release_buffers();
}

void RelayAdapter::on_client_drained(ConnId id) {
  auto it = live_.find(id);
  if (it != live_.end()) it->second->on_client_drained();
}

void RelayAdapter::on_close(ConnId id, CloseReason reason) {
  auto it = live_.find(id);
  if (it == live_.end()) return;
  spdlog::debug("relay: conn {:#x} client closed ({}), closing upstream", id,
                close_reason_name(reason));
  retire(id);
}

void RelayAdapter::retire(ConnId id) {
  auto it = live_.find(id);
  if (it == live_.end()) return;
  UpstreamConn* conn = it->second;
  live_.erase(it);
  ++closing_;
  conn->close();
}

void RelayAdapter::on_conn_freed(UpstreamConn* conn) {
  if (conn->dirty) dirty_.remove(conn);
  --closing_;
  maybe_done();
}

void RelayAdapter::mark_dirty(UpstreamConn* conn) {
  dirty_.add(conn, conn->dirty);
}

void RelayAdapter::stop(std::function<void()> done) {
  stopping_ = true;
  done_ = std::move(done);
  std::vector<ConnId> ids;
  ids.reserve(live_.size());
  for (const auto& [id, conn] : live_) ids.push_back(id);
  for (ConnId id : ids) {
    retire(id);
    sink().close(id, "relay stopping");
  }
  dirty_.close([this] {
    dirty_closed_ = true;
    maybe_done();
  });
}

void RelayAdapter::maybe_done() {
  // Waits for the flush list's handles too: `done` may destroy this adapter.
  if (!stopping_ || !dirty_closed_ || !live_.empty() || closing_ > 0 || !done_) return;
  auto done = std::move(done_);
  done_ = nullptr;
  done();
}

}  // namespace mtedge::backend::relay
