// Decodes one decrypted MTProto message (docs/spec/wire-notes.md §8.2-8.5) before the session's
// shard lock is taken: every gzip_packed it holds is inflated and every API query's invoke*
// wrappers (invokeWithLayer, initConnection, invokeAfterMsg(s), invokeWithoutUpdates,
// gzip_packed) are taken off, so that the session layer under the lock only looks things up.
// Depends on the bytes and the limits only.
//
// The work for one packet is budgeted, whatever it holds (a container of gzip_packed,
// gzip_packed in gzip_packed, vectors of ids, a JSONValue in initConnection.params):
// - inflated bytes: the sum over every gzip_packed in the packet (not per item);
// - TL nodes: messages, container items, msg_ids in id vectors, wrappers and JSON values.
// Over either budget the packet is refused whole (over_budget()); the caller processes nothing
// of it. initConnection.params is skipped byte by byte (never built) and may be at most
// kMaxInitParamsBytes long; over that the query is answered INPUT_REQUEST_INVALID.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend-adapters/embedded/session/session.h"
#include "base/bytes.h"

namespace mtedge::backend::embedded {

inline constexpr size_t kMaxInitParamsBytes = 8 * 1024;
inline constexpr uint32_t kMaxContainerMessages = 1024;
inline constexpr uint32_t kMaxIdsPerRequest = 8192;  // msgs_ack, msgs_state_req, msg_resend_req

struct PacketLimits {
  size_t inflate_bytes = 1u << 20;  // inflated bytes for the whole packet
  size_t nodes = 1u << 16;          // TL nodes for the whole packet
};

// The inflated budget of a packet of `body_size` bytes: 4 times its size, at least 8 KiB and
// at most `max_inflate_bytes`. Real clients compress TL a few times (a bomb a thousand), and
// inflating costs 2-8 us per KiB: the bound keeps a packet's inflate work within a few times
// what an ordinary request of its size costs (bench/session_bench.cc).
size_t inflate_budget_for(size_t body_size, size_t max_inflate_bytes);

// One gzip_packed message, inflated.
struct Inflated {
  bool ok = false;
  ByteView payload;  // ok: the inflated bytes (owned by the DecodedPacket)
};

// An API query with its wrappers taken off.
struct Query {
  int layer = 0;                       // from invokeWithLayer (0: none)
  std::shared_ptr<const AppInfo> app;  // from a well-formed initConnection (null: none)
  ByteView method;                     // the method call inside the wrappers
  std::string error;                   // non-empty: answer rpc_error(400, error) instead
};

class DecodedPacket {
 public:
  // Decodes `body`, the message of (outer) `msg_id`. The DecodedPacket refers to `body`.
  static DecodedPacket decode(ByteView body, const PacketLimits& limits);
  // An empty packet, for SessionLayer uses that process no client message.
  static const DecodedPacket& none();

  bool over_budget() const { return over_budget_ != nullptr; }
  const char* over_budget_reason() const { return over_budget_; }

  // The gzip_packed message that starts at `message.data()`; null if the decoder did not meet it.
  const Inflated* inflated(ByteView message) const;
  // The API query whose (unwrapped-so-far) body starts at `payload.data()`; null if unknown.
  const Query* query(ByteView payload) const;

 private:
  void message(ByteView body, bool in_container);
  void container(ByteView body);
  void content(ByteView payload);
  bool inflate(ByteView packed, Bytes* out);
  bool spend_nodes(size_t n);
  void unwrap(ByteView payload);

  PacketLimits left_;
  const char* over_budget_ = nullptr;
  std::vector<std::unique_ptr<Bytes>> buffers_;  // inflated data: addresses stay put
  std::vector<std::pair<const uint8_t*, Inflated>> inflated_;
  std::vector<std::pair<const uint8_t*, Query>> queries_;
};

}  // namespace mtedge::backend::embedded
