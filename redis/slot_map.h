// The cluster's slot map (which master serves each of the 16384 slots) and the parsers of
// what a cluster node says about it: the CLUSTER SLOTS reply and MOVED/ASK errors. Both take
// bytes from the network and are fuzzed (fuzz/redis_replies_fuzz.cc).
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "redis/hash_slot.h"
#include "redis/options.h"
#include "redis/reply.h"

namespace mtedge::redis {

class SlotMap {
 public:
  SlotMap() { owner_.fill(kNoOwner); }

  // From a CLUSTER SLOTS reply: an array of [first slot, last slot, [host, port, ...],
  // replicas...]; the first node of an entry is the master. An empty host means the node that
  // was asked (`asked_host`). Fails on anything malformed, naming what; a master named by a
  // host name rather than an IP address, more than kSlotCount entries or overlapping ranges
  // refuse the whole map.
  static Result<SlotMap> from_cluster_slots(const Reply& reply, std::string_view asked_host);

  // The master of `slot`, or nullptr when no master serves it.
  const Address* master(uint16_t slot) const;
  // Every master named so far, once each (one that lost its slots to a MOVED stays listed
  // until the next whole map replaces this one).
  const std::vector<Address>& masters() const { return masters_; }
  void assign(uint16_t slot, const Address& master);
  // Slots that have a master.
  size_t covered() const;

 private:
  static constexpr uint16_t kNoOwner = 0xffff;
  uint16_t index_of(const Address& master);
  std::vector<Address> masters_;
  std::array<uint16_t, kSlotCount> owner_;  // index into masters_, or kNoOwner
};

// "MOVED 3999 127.0.0.1:6381" / "ASK 3999 127.0.0.1:6381" (an error reply's text).
struct Redirect {
  enum class Kind { kMoved, kAsk };
  Kind kind = Kind::kMoved;
  uint16_t slot = 0;
  Address target;
};
// nullopt when `error` is not a well-formed MOVED or ASK.
std::optional<Redirect> parse_redirect(std::string_view error);

}  // namespace mtedge::redis
