// The MTProto-over-HTTP exchange of one connection (docs/spec/wire-notes.md §4, docs/codecs/http.md
// "In the gateway"): which POSTs still wait for their answer, and what the backend sent while none
// was waiting. No libuv, no clock of its own: the connection passes the time in.
//
// Contract:
// - Every POST carrying a packet waits (on_request); the backend's packets and transport
//   errors for the connection answer the OLDEST waiting request (one packet per response
//   body). A packet sent while no request waits is queued and answers the next request at
//   once; the queue is bounded (kMaxQueuedPackets, and `max_queued_bytes`).
// - A request nobody answers is answered 200 with an empty body after `max_wait_ms`
//   (expire()). Requests wait in arrival order with one max_wait, so the oldest always has
//   the earliest deadline.
// - Responses still leave in request order: that is the codec's slot queue.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

#include "base/bytes.h"
#include "codecs/http/http_server_codec.h"

namespace mtedge::gateway {

// Packets the backend may send ahead of the client's requests on one HTTP connection.
inline constexpr size_t kMaxQueuedPackets = 256;

class HttpExchange {
 public:
  HttpExchange(codecs::http::HttpServerCodec& codec, uint64_t max_wait_ms, size_t max_queued_bytes)
      : codec_(codec), max_wait_ms_(max_wait_ms), max_queued_bytes_(max_queued_bytes) {}

  // A POST with a packet was parsed (request `id` of the codec): it waits for an answer, or
  // takes the oldest queued packet at once.
  void on_request(uint64_t id, uint64_t now_ms);

  enum class Delivery : uint8_t {
    kAnswered,  // answered the oldest waiting request
    kQueued,    // no request waits: kept for the next one
    kOverflow,  // no request waits and the queue is full: the caller closes the connection
  };
  Delivery deliver(ByteView packet);
  // Answers the oldest waiting request with the transport error's HTTP status (the
  // connection closes after it). False when no request waits.
  bool deliver_error(int32_t code);

  // Answers every request that waited `max_wait_ms` (200, empty body); returns how many.
  size_t expire(uint64_t now_ms);
  // When the oldest waiting request times out; nullopt when none waits.
  std::optional<uint64_t> next_deadline_ms() const;

  bool has_waiting() const { return !waiting_.empty(); }

  // Routing by auth key (gateway/conn/http_holders.h): the auth_key_id of the latest request
  // (0: unencrypted), and the key this connection is registered under as a holder (0: none).
  uint64_t auth_key_id = 0;
  uint64_t held_key = 0;
  size_t queued_packets() const { return queue_.size(); }
  size_t queued_bytes() const { return queued_bytes_; }

 private:
  struct Waiting {
    uint64_t id = 0;
    uint64_t deadline_ms = 0;
  };

  codecs::http::HttpServerCodec& codec_;
  const uint64_t max_wait_ms_;
  const size_t max_queued_bytes_;
  std::deque<Waiting> waiting_;
  std::deque<Bytes> queue_;
  size_t queued_bytes_ = 0;
};

}  // namespace mtedge::gateway
