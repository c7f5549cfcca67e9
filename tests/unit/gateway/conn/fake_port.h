// FakePort: a ConnPort with no socket and a hand-driven clock, for driving connection
// drivers directly. It owns the current driver and does mode changes like the real
// connection does (replacing the driver that asked), records what the adapter hears, what
// was written, the timer and how the connection closed.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codecs/obfuscated/replay_cache.h"
#include "gateway/conn/accept_driver.h"
#include "gateway/conn/conn_port.h"
#include "gateway/conn/http_driver.h"
#include "gateway/conn/sniff_driver.h"
#include "gateway/conn/stream_driver.h"

namespace mtedge::gateway::testing {

struct SeenFrame {
  uint64_t auth_key_id = 0;
  backend::FrameKind kind = backend::FrameKind::kUnencrypted;
  bool quick_ack = false;
  Bytes packet;
};

struct RecordingAdapter : backend::BackendAdapter {
  void on_open(const backend::ConnInfo& info) override { opened.push_back(info); }
  bool on_frame(const backend::Frame& frame) override {
    frames.push_back({frame.auth_key_id, frame.kind, frame.quick_ack,
                      Bytes(frame.packet.begin(), frame.packet.end())});
    if (on_frame_hook) on_frame_hook(frame);
    return accept_frames;
  }
  void on_client_drained(backend::ConnId) override { ++drained; }
  void on_client_quiet(backend::ConnId) override { ++quiet; }
  void on_close(backend::ConnId, backend::CloseReason reason) override { closed = reason; }

  std::vector<backend::ConnInfo> opened;
  std::vector<SeenFrame> frames;
  std::function<void(const backend::Frame&)> on_frame_hook;
  bool accept_frames = true;
  int drained = 0;
  int quiet = 0;
  std::optional<backend::CloseReason> closed;
};

class FakePort final : public ConnPort {
 public:
  FakePort() { listener_.name = "test"; }

  // ---- driving
  void start_sniffing() { driver = std::make_unique<SniffDriver>(*this); }
  void start_http() { driver = std::make_unique<HttpDriver>(*this); }
  // Client bytes as the connection hands them over (a copy: drivers modify them in place).
  void read(ByteView bytes) {
    if (closing()) return;
    Bytes copy(bytes.begin(), bytes.end());
    last_activity = now;
    driver->on_traffic();
    driver->on_bytes(MutableByteView(copy.data(), copy.size()));
  }
  // Moves the clock to the timer's deadline and runs it.
  void fire_timer() {
    ASSERT_TRUE(timer_due.has_value());
    now = std::max(now, *timer_due);
    timer_due.reset();
    if (closing()) return;
    driver->on_timer();
  }
  Bytes take_written() {
    Bytes w;
    w.swap(written);
    return w;
  }

  // ---- ConnPort
  backend::ConnId id() const override { return 0x42; }
  const PeerAddress& peer() const override { return peer_; }
  const ListenerConfig& listener() const override { return listener_; }
  const ConnSettings& settings() const override { return settings_; }
  MetricsShard& metrics() override { return metrics_; }
  backend::BackendAdapter& adapter() override { return adapter_; }
  uint64_t random() override { return ++random_; }
  codecs::obfuscated::ReplayCache& replay_cache(codecs::TransportKind) override { return replay_; }
  codecs::obfuscated::ReplayCache& no_secret_replay_cache() override { return no_secret_replay_; }
  uint64_t now_ms() const override { return now; }
  uint64_t last_activity_ms() const override { return last_activity; }
  void touch() override { last_activity = now; }
  void arm_timer(uint64_t ms) override {
    if (!closed) timer_due = now + ms;
  }
  Bytes& out() override { return written; }
  size_t queued() const override { return written.size(); }
  bool room_for(size_t bytes) override {
    if (written.size() + bytes <= settings_.write_buffer_limit) return true;
    close_now(backend::CloseReason::kLimit);
    return false;
  }
  void mark_dirty() override { ++dirty_marks; }
  bool after_enqueue() override {
    mark_dirty();
    return written.size() <= settings_.write_buffer_high;
  }
  void release_write_buffers() override { ++released; }
  void stop_reading() override { reading = false; }
  void start_reading() override {
    if (!closing()) reading = true;
  }
  bool closing() const override { return closed || close_after_flush; }
  void begin_close(backend::CloseReason reason) override {
    if (closing()) return;
    close_after_flush = true;
    close_reason = reason;
    reading = false;
  }
  void close_now(backend::CloseReason reason) override {
    if (closed) return;
    closed = true;
    if (!close_reason) close_reason = reason;
    timer_due.reset();
    driver->on_close();
    if (opened) adapter_.on_close(id(), reason);
  }
  void open_adapter(backend::ConnInfo info) override {
    info.id = id();
    opened = true;
    adapter_.on_open(info);
  }
  void note_packet(bool encrypted) override { noted_packets.push_back(encrypted); }
  void count_codec_error(codecs::CodecError error) override { metrics_.count(error); }
  void open_stream(
      backend::ConnInfo info, codecs::websocket::WsStreamStage* ws,
      const std::function<void(std::optional<codecs::TransportStack>&)>& build) override {
    auto stream = std::make_unique<StreamDriver>(*this, ws);
    build(stream->stack());
    StreamDriver& s = *stream;
    driver = std::move(stream);
    mode = "stream";
    last_activity = now;
    arm_timer(s.timer_due());
    open_adapter(std::move(info));
  }
  void accept(std::unique_ptr<SecureAccept> accept, codecs::websocket::WsStreamStage* ws) override {
    driver = std::make_unique<AcceptDriver>(*this, std::move(accept), ws);
    mode = "accept";
  }
  void serve_http() override {
    driver = std::make_unique<HttpDriver>(*this);
    mode = "http";
  }
  void front_or_close(ByteView raw) override {
    fronted.assign(raw.begin(), raw.end());
    begin_close(backend::CloseReason::kProtocolError);
  }
  void deliver(MutableByteView bytes) override {
    if (!closing()) driver->on_bytes(bytes);
  }
  void hold_http(uint64_t old_key, uint64_t key) override {
    if (old_key != 0) held.erase(std::remove(held.begin(), held.end(), old_key), held.end());
    if (key != 0) held.push_back(key);
  }
  std::optional<backend::ConnId> route_http(uint64_t key, ByteView packet) override {
    if (!route_to) return std::nullopt;
    routed.push_back({key, Bytes(packet.begin(), packet.end())});
    return route_to;
  }

  // ---- state, open for tests
  std::unique_ptr<ConnDriver> driver;
  std::string mode = "sniff";
  ListenerConfig listener_;
  ConnSettings settings_;
  MetricsShard metrics_;
  RecordingAdapter adapter_;
  codecs::obfuscated::ReplayCache replay_;
  codecs::obfuscated::ReplayCache no_secret_replay_;
  PeerAddress peer_;
  uint64_t now = 1000;
  uint64_t last_activity = 1000;
  std::optional<uint64_t> timer_due;
  Bytes written;
  int dirty_marks = 0;
  int released = 0;
  bool reading = true;
  bool opened = false;
  bool closed = false;
  bool close_after_flush = false;
  std::optional<backend::CloseReason> close_reason;
  Bytes fronted;
  std::vector<uint64_t> held;
  std::optional<backend::ConnId> route_to;
  std::vector<std::pair<uint64_t, Bytes>> routed;
  std::vector<bool> noted_packets;  // note_packet(encrypted), in order

 private:
  uint64_t random_ = 0;
};

}  // namespace mtedge::gateway::testing
