#include "backend-adapters/socket/rendezvous.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numeric>

#include "base/mix64.h"

namespace mtedge::backend::socket {
namespace {

using mtedge::mix64;

// FNV-1a over the name, then mixed: stable across processes and builds.
uint64_t name_seed(std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return mix64(h);
}

}  // namespace

RendezvousHash::RendezvousHash(std::span<const std::string> endpoint_names) {
  assert(!endpoint_names.empty());
  seeds_.reserve(endpoint_names.size());
  for (const auto& name : endpoint_names) seeds_.push_back(name_seed(name));
}

uint64_t RendezvousHash::weight(uint64_t key, size_t index) const {
  return mix64(mix64(key) ^ seeds_[index]);
}

size_t RendezvousHash::pick(uint64_t key) const {
  size_t best = 0;
  uint64_t best_weight = weight(key, 0);
  for (size_t i = 1; i < seeds_.size(); ++i) {
    uint64_t w = weight(key, i);
    if (w > best_weight) {
      best = i;
      best_weight = w;
    }
  }
  return best;
}

size_t RendezvousHash::pick_bounded(uint64_t key, std::span<const size_t> loads,
                                    double factor) const {
  assert(loads.size() == seeds_.size());
  size_t total = std::accumulate(loads.begin(), loads.end(), size_t(0));
  double mean = double(total + 1) / double(seeds_.size());
  size_t cap = static_cast<size_t>(std::ceil(factor * mean));
  std::vector<size_t> order(seeds_.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return weight(key, a) > weight(key, b); });
  for (size_t i : order) {
    if (loads[i] + 1 <= cap) return i;
  }
  return order.front();  // unreachable with factor >= 1: some endpoint is at or below the mean
}

}  // namespace mtedge::backend::socket
