#include "gateway/events/event_writer.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

namespace mtedge::gateway::events {

EventWriter::EventWriter(uv_loop_t* loop, const EventsConfig& config,
                         const redis::ClientOptions& redis, MetricsShard& metrics, unsigned worker)
    : config_(config),
      metrics_(metrics),
      origin_{config.gateway_id, worker},
      client_(loop, redis),
      timer_(new uv_timer_t) {
  uv_timer_init(loop, timer_);
  timer_->data = this;
}

EventWriter::~EventWriter() {
  close();
}

void EventWriter::connection_opened(const ConnectionFacts& conn) {
  if (config_.connection_opened) write(events::connection_opened(origin_, unix_ms(), conn));
}

void EventWriter::connection_closed(const ConnectionFacts& conn, const CloseFacts& close) {
  if (config_.connection_closed) write(events::connection_closed(origin_, unix_ms(), conn, close));
}

void EventWriter::start_counters(std::function<MetricsSnapshot()> snapshot) {
  if (!config_.counters || closed_) return;
  snapshot_ = std::move(snapshot);
  uv_timer_start(timer_, on_timer, config_.counters_interval_ms, config_.counters_interval_ms);
}

void EventWriter::write(const Fields& fields) {
  if (closed_) return;
  if (pending_ >= config_.max_pending_events) {
    dropped(EventDrop::kBacklog,
            "events.max_pending_events = " + std::to_string(config_.max_pending_events) +
                " are waiting for Redis");
    return;
  }
  ++pending_;
  client_.command(xadd_args(config_.stream, config_.maxlen, fields),
                  [this](Result<redis::Reply> result) { answered(result); });
}

void EventWriter::answered(const Result<redis::Reply>& result) {
  --pending_;
  if (closed_) {
    metrics_.count(EventDrop::kShutdown);
  } else if (!result) {
    dropped(EventDrop::kFailed, result.message());
  } else if (result.value().is_error()) {
    dropped(EventDrop::kRefused, result.value().str());
  } else {
    metrics_.events_written.add();
    if (failing_) {
      spdlog::info("events: worker {}: writing to Redis again ({} events dropped meanwhile)",
                   origin_.worker, dropped_since_ok_);
      failing_ = false;
      dropped_since_ok_ = 0;
    }
  }
  if (drained_ && pending_ == 0) finish_drain();
}

void EventWriter::dropped(EventDrop why, const std::string& detail) {
  metrics_.count(why);
  ++dropped_since_ok_;
  if (failing_) return;
  failing_ = true;
  spdlog::warn("events: worker {}: dropping events until Redis answers again ({}: {})",
               origin_.worker, event_drop_name(why), detail);
}

void EventWriter::when_drained(uint64_t timeout_ms, std::function<void()> done) {
  drained_ = std::move(done);
  snapshot_ = nullptr;
  drain_deadline_ms_ = uv_now(timer_->loop) + timeout_ms;
  // The first look on the next loop turn: events written meanwhile (the last closes'
  // connection_closed) are waited for too.
  uv_timer_start(timer_, on_timer, 0, 0);
}

void EventWriter::finish_drain() {
  uv_timer_stop(timer_);
  auto done = std::move(drained_);
  drained_ = nullptr;
  done();
}

void EventWriter::on_timer(uv_timer_t* timer) {
  auto* self = static_cast<EventWriter*>(timer->data);
  if (self->drained_) {
    const uint64_t now = uv_now(timer->loop);
    if (self->pending_ == 0 || now >= self->drain_deadline_ms_) {
      self->finish_drain();
    } else {
      uv_timer_start(timer, on_timer, self->drain_deadline_ms_ - now, 0);
    }
  } else if (self->snapshot_) {
    self->write(counters(self->origin_, self->unix_ms(), self->snapshot_()));
  }
}

void EventWriter::close() {
  if (closed_) return;
  closed_ = true;
  drained_ = nullptr;
  snapshot_ = nullptr;
  client_.close();  // answers what is pending: counted kShutdown
  uv_close(reinterpret_cast<uv_handle_t*>(timer_),
           [](uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); });
}

uint64_t EventWriter::unix_ms() const {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace mtedge::gateway::events
