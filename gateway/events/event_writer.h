// One worker's writer of events (docs/events.md): each event is one XADD ... MAXLEN ~ to the
// events stream, sent through the worker's own redis::Client on the worker's loop (a Client
// is single-loop). Nothing here waits: an event is encoded and handed to the client, whose
// answer is only counted.
//
// Bounds: at most events.max_pending_events sent and not yet answered; past it an event is
// dropped at once (EventDrop::kBacklog). While Redis is down the client queues and times the
// commands out ([redis] command_timeout_ms, kFailed) and reconnects by itself; an error reply
// is kRefused. Every outcome is counted in the worker's MetricsShard (events_written,
// events_dropped), and the first drop after a success, and the first success after drops, are
// logged once. Delivery is at most once: an event that timed out may still have been written.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>

#include "gateway/events/event_fields.h"
#include "gateway/runtime/config.h"
#include "gateway/runtime/metrics.h"
#include "redis/client.h"

namespace mtedge::gateway::events {

class EventWriter {
 public:
  // Starts connecting at once. `metrics`: the worker's shard, which outlives this writer.
  EventWriter(uv_loop_t* loop, const EventsConfig& config, const redis::ClientOptions& redis,
              MetricsShard& metrics, unsigned worker);
  ~EventWriter();
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  // Each writes its event when events.events lists it.
  void connection_opened(const ConnectionFacts& conn);
  void connection_closed(const ConnectionFacts& conn, const CloseFacts& close);
  // When "counters" is listed: every events.counters_interval_ms, writes `snapshot()`.
  void start_counters(std::function<MetricsSnapshot()> snapshot);

  // Events sent and not yet answered.
  size_t pending() const { return pending_; }
  // Stops the counters; `done` runs once, on the loop and never inside this call, when
  // nothing is pending (events written after this call count too) or `timeout_ms` after
  // this call, whichever comes first.
  void when_drained(uint64_t timeout_ms, std::function<void()> done);
  // Drops what is pending (counted kShutdown) and closes the client and the timer; the loop
  // must run afterwards for their handles to close. Idempotent.
  void close();

 private:
  void write(const Fields& fields);
  void answered(const Result<redis::Reply>& result);
  void dropped(EventDrop why, const std::string& detail);
  void finish_drain();
  static void on_timer(uv_timer_t* timer);
  uint64_t unix_ms() const;

  const EventsConfig& config_;
  MetricsShard& metrics_;
  const Origin origin_;
  redis::Client client_;
  uv_timer_t* timer_;  // on the heap: its close callback frees it after this writer is gone
  std::function<MetricsSnapshot()> snapshot_;
  std::function<void()> drained_;   // set between when_drained() and the drain
  uint64_t drain_deadline_ms_ = 0;  // uv_now() at which when_drained() gives up
  size_t pending_ = 0;
  bool failing_ = false;  // the last outcome was a drop (logged once per episode)
  uint64_t dropped_since_ok_ = 0;
  bool closed_ = false;
};

}  // namespace mtedge::gateway::events
