#include "gateway/conn/http_exchange.h"

namespace mtedge::gateway {

void HttpExchange::on_request(uint64_t id, uint64_t now_ms) {
  if (!queue_.empty()) {
    Bytes packet = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= packet.size();
    codec_.respond(id, packet);
    return;
  }
  waiting_.push_back({id, now_ms + max_wait_ms_});
}

HttpExchange::Delivery HttpExchange::deliver(ByteView packet) {
  if (!waiting_.empty()) {
    codec_.respond(waiting_.front().id, packet);
    waiting_.pop_front();
    return Delivery::kAnswered;
  }
  if (queue_.size() >= kMaxQueuedPackets || queued_bytes_ + packet.size() > max_queued_bytes_) {
    return Delivery::kOverflow;
  }
  queue_.emplace_back(packet.begin(), packet.end());
  queued_bytes_ += packet.size();
  return Delivery::kQueued;
}

bool HttpExchange::deliver_error(int32_t code) {
  if (waiting_.empty()) return false;
  codec_.respond_transport_error(waiting_.front().id, code);
  waiting_.pop_front();
  return true;
}

size_t HttpExchange::expire(uint64_t now_ms) {
  size_t answered = 0;
  while (!waiting_.empty() && waiting_.front().deadline_ms <= now_ms) {
    codec_.respond(waiting_.front().id, {});
    waiting_.pop_front();
    ++answered;
  }
  return answered;
}

std::optional<uint64_t> HttpExchange::next_deadline_ms() const {
  if (waiting_.empty()) return std::nullopt;
  return waiting_.front().deadline_ms;
}

}  // namespace mtedge::gateway
