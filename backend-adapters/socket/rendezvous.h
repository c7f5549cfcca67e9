// Rendezvous (highest-random-weight) hashing of routing keys over backend endpoints.
//
// Each endpoint is identified by its configured text, so reordering the list moves nothing;
// adding an endpoint moves only the keys it now wins (about 1/n of them) and removing one
// moves only the keys it had. Auth keys are placed by rank alone, never by load, so every
// connection of one auth key reaches the same endpoint while that endpoint is configured.
//
// Bounded load applies only where no state is attached: a handshake connection (routed by
// its connection id) takes the best-ranked endpoint whose load stays within `factor` times
// the mean, which caps any endpoint at ceil(factor * mean) handshakes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mtedge::backend::socket {

class RendezvousHash {
 public:
  explicit RendezvousHash(std::span<const std::string> endpoint_names);

  size_t size() const { return seeds_.size(); }
  // The endpoint with the highest weight for `key`.
  size_t pick(uint64_t key) const;
  // The highest-ranked endpoint whose load after adding one stays within
  // ceil(factor * (total + 1) / size()); loads[i] is endpoint i's current load.
  size_t pick_bounded(uint64_t key, std::span<const size_t> loads, double factor) const;

  // The weight of `key` on endpoint `index` (exposed for tests).
  uint64_t weight(uint64_t key, size_t index) const;

 private:
  std::vector<uint64_t> seeds_;  // one per endpoint, from its name
};

}  // namespace mtedge::backend::socket
