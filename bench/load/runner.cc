#include "bench/load/runner.h"

#include <algorithm>
#include <cmath>

#include "bench/load/connection.h"
#include "crypto/random.h"

namespace mtedge::bench {

namespace {

double seconds_between(uint64_t from_ns, uint64_t to_ns) {
  return double(to_ns - from_ns) / 1e9;
}

}  // namespace

Runner::Runner(uv_loop_t* loop, const LoadOptions& options, const sockaddr_storage& target,
               std::optional<crypto::RsaPublicKey> server_key,
               std::unique_ptr<MessengerTl> messenger)
    : loop_(loop),
      options_(options),
      target_(target),
      server_key_(std::move(server_key)),
      messenger_tl_(std::move(messenger)),
      read_buffer_(kReadBufferSize) {
  if (options_.mode == LoadMode::kMessenger) {
    pairs_.resize(options_.pairs);
    for (MessengerPair& p : pairs_) p.random_base = int64_t(crypto::random_u64() >> 2);
  }
  size_t largest = 8;
  for (const SizeWeight& sw : options_.sizes) {
    size_cycle_.insert(size_cycle_.end(), sw.weight, sw.size);
    largest = std::max(largest, sw.size);
  }
  payload_.resize(largest);
  for (size_t i = 0; i < largest; ++i) payload_[i] = uint8_t(i * 31 + 7);
}

LoadResult Runner::run() {
  start_ns_ = uv_hrtime();
  if (options_.watch_pid) result_.watch_rss_baseline = sample_process(options_.watch_pid).rss_bytes;
  slots_.assign(options_.connections, nullptr);
  for (unsigned i = options_.connections; i-- > 0;) to_open_.push_back(i);
  uv_timer_init(loop_, &tick_timer_);
  tick_timer_.data = this;
  const uint64_t tick_ms = options_.rate > 0 ? 1 : 10;
  uv_timer_start(&tick_timer_, on_tick, tick_ms, tick_ms);
  open_more();
  uv_run(loop_, UV_RUN_DEFAULT);
  return result_;
}

void Runner::open_more() {
  while (connecting_ < kMaxConnecting && !to_open_.empty() && phase_ != Phase::kDone) {
    // Handshake mode with --rate: each handshake started takes a token (paced opens).
    if (options_.mode == LoadMode::kHandshake && !take_token()) return;
    const unsigned slot = to_open_.back();
    to_open_.pop_back();
    auto* conn = new Connection(*this, slot);
    slots_[slot] = conn;
    ++connecting_;
    conn->connect(reinterpret_cast<const sockaddr*>(&target_));
  }
}

void Runner::on_established(Connection& conn) {
  --connecting_;
  ++result_.connections_established;
  open_more();
  conn.pump();
}

void Runner::pump_slot(unsigned slot) {
  if (slot < slots_.size() && slots_[slot]) slots_[slot]->pump();
}

void Runner::on_closed(unsigned slot, bool was_established, bool again) {
  slots_[slot] = nullptr;
  if (!was_established) --connecting_;
  if (again && phase_ != Phase::kDone) to_open_.push_back(slot);
  open_more();
}

bool Runner::take_token() {
  if (options_.rate <= 0) return true;
  const double elapsed = seconds_between(start_ns_, uv_hrtime());
  const double allowed = options_.rate * elapsed;
  // After a stall, allow a burst of at most 5 ms worth of frames, not everything missed.
  const double burst = std::max(1.0, options_.rate * 0.005);
  if (double(tokens_used_) < allowed - burst) tokens_used_ = uint64_t(allowed - burst);
  if (double(tokens_used_) >= allowed) return false;
  ++tokens_used_;
  return true;
}

void Runner::on_tick(uv_timer_t* timer) {
  static_cast<Runner*>(timer->data)->tick();
}

void Runner::tick() {
  const uint64_t now = uv_hrtime();
  if (phase_ == Phase::kWarmup) {
    // Handshake mode keeps reopening connections: its warmup runs from the start.
    const bool setup_done =
        options_.mode == LoadMode::kHandshake || (to_open_.empty() && connecting_ == 0);
    if (setup_done && setup_done_ns_ == 0) {
      setup_done_ns_ = now;
      // Messenger: every user is signed in and no message was sent yet.
      if (options_.watch_pid && options_.mode == LoadMode::kMessenger)
        result_.watch_rss_set_up = sample_process(options_.watch_pid).rss_bytes;
    }
    // Setup (connects, handshakes, idle round trips) longer than --setup-timeout is cut
    // short: the window starts anyway and the stragglers count as errors.
    if (setup_done_ns_ == 0 && seconds_between(start_ns_, now) > options_.setup_timeout_s) {
      result_.stats.errors["setup_timeout"] += connecting_ + unsigned(to_open_.size());
      setup_done_ns_ = now;
    }
    if (setup_done_ns_ != 0 && seconds_between(setup_done_ns_, now) >= options_.warmup_s)
      begin_window();
  } else if (phase_ == Phase::kMeasure &&
             seconds_between(window_start_ns_, now) >= options_.duration_s) {
    end_window();
    return;
  }
  if (options_.mode == LoadMode::kMessenger) return pump_all();  // starts traffic, sends acks
  if (options_.rate > 0) {
    if (options_.mode == LoadMode::kHandshake) return open_more();
    pump_all();
  }
}

void Runner::pump_all() {
  // Start at a rotating slot so that no connection always gets the tokens first.
  const size_t n = slots_.size();
  const size_t first = size_t(tokens_used_ % n);
  for (size_t i = 0; i < n; ++i) {
    if (Connection* c = slots_[(first + i) % n]; c && c->established()) c->pump();
  }
}

void Runner::begin_window() {
  phase_ = Phase::kMeasure;
  result_.stats.reset_window();
  window_start_ns_ = uv_hrtime();
  client_cpu_start_ = self_cpu_seconds();
  if (options_.watch_pid) result_.watch_before = sample_process(options_.watch_pid);
}

void Runner::end_window() {
  result_.window_s = seconds_between(window_start_ns_, uv_hrtime());
  result_.client_cpu_s = self_cpu_seconds() - client_cpu_start_;
  if (options_.watch_pid) result_.watch_after = sample_process(options_.watch_pid);
  phase_ = Phase::kDone;
  uv_close(reinterpret_cast<uv_handle_t*>(&tick_timer_), nullptr);
  for (Connection* c : slots_) {
    if (c) c->close();
  }
}

}  // namespace mtedge::bench
