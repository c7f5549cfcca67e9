// Runs one mtedge-load measurement on one libuv loop: opens the connections (at most
// kMaxConnecting at a time), lets traffic warm up, measures a window, and collects the
// results. Single-threaded: the loop is the only thread that touches any of it.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "bench/load/load_stats.h"
#include "bench/load/messenger_tl.h"
#include "bench/load/messenger_user.h"
#include "bench/load/options.h"
#include "bench/load/proc_stats.h"
#include "crypto/rsa.h"

namespace mtedge::bench {

class Connection;

struct LoadResult {
  double window_s = 0;
  LoadStats stats;
  unsigned connections_established = 0;
  double client_cpu_s = 0;               // this process, over the window
  ProcSample watch_before, watch_after;  // --watch-pid at the window's edges
  uint64_t watch_rss_baseline = 0;       // idle, messenger: RSS before any connection
  uint64_t watch_rss_set_up = 0;         // messenger: RSS once every user signed in, idle
};

class Runner {
 public:
  static constexpr unsigned kMaxConnecting = 256;
  static constexpr size_t kReadBufferSize = 256 * 1024;

  // `messenger`: the TL queries of messenger mode (required in that mode).
  Runner(uv_loop_t* loop, const LoadOptions& options, const sockaddr_storage& target,
         std::optional<crypto::RsaPublicKey> server_key,
         std::unique_ptr<MessengerTl> messenger = nullptr);
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Runs the loop to the end of the measurement.
  LoadResult run();

  // For connections.
  uv_loop_t* loop() { return loop_; }
  const LoadOptions& options() const { return options_; }
  // A payload buffer of the largest --size, filled with a pattern; connections write their
  // sequence number into its first 8 bytes just before framing it.
  uint8_t* payload_scratch() { return payload_.data(); }
  const std::vector<size_t>& size_cycle() const { return size_cycle_; }
  LoadStats& stats() { return result_.stats; }
  bool measuring() const { return phase_ == Phase::kMeasure; }
  bool stopping() const { return phase_ == Phase::kDone; }
  // Every connection was set up (or failed): messenger mode sends from then on.
  bool traffic_started() const { return setup_done_ns_ != 0; }
  // Takes one send token when --rate is set (always true without it).
  bool take_token();
  const std::optional<crypto::RsaPublicKey>& server_key() const { return server_key_; }
  uint8_t* read_buffer() { return read_buffer_.data(); }
  void on_established(Connection& conn);
  // Messenger mode.
  const MessengerTl& messenger_tl() const { return *messenger_tl_; }
  MessengerPair& pair(unsigned index) { return pairs_[index]; }
  // Lets the connection in `slot` (if open) send what it may.
  void pump_slot(unsigned slot);
  // A connection's handle closed; `again` asks for a new connection in its slot.
  void on_closed(unsigned slot, bool was_established, bool again);

 private:
  enum class Phase : uint8_t { kWarmup, kMeasure, kDone };

  static void on_tick(uv_timer_t* timer);
  void tick();
  void open_more();
  void pump_all();
  void begin_window();
  void end_window();

  uv_loop_t* loop_;
  LoadOptions options_;
  sockaddr_storage target_;
  std::optional<crypto::RsaPublicKey> server_key_;
  std::unique_ptr<MessengerTl> messenger_tl_;
  std::vector<MessengerPair> pairs_;
  std::vector<size_t> size_cycle_;
  std::vector<uint8_t> read_buffer_;
  std::vector<uint8_t> payload_;
  std::vector<Connection*> slots_;  // null: free (to open) or closing for good
  std::vector<unsigned> to_open_;
  unsigned connecting_ = 0;
  uv_timer_t tick_timer_{};
  Phase phase_ = Phase::kWarmup;
  uint64_t start_ns_ = 0;
  uint64_t window_start_ns_ = 0;
  uint64_t setup_done_ns_ = 0;  // every connection was opened (or failed); 0 = not yet
  uint64_t tokens_used_ = 0;
  double client_cpu_start_ = 0;
  LoadResult result_;
};

}  // namespace mtedge::bench
