#include "gateway/runtime/admission.h"

namespace mtedge::gateway {

bool SourceCounts::try_add(const SourceBucket& source, uint64_t cap) {
  Shard& s = shard(source);
  std::lock_guard lock(s.mu);
  uint64_t& n = s.counts[source];
  if (n >= cap) {
    if (n == 0) s.counts.erase(source);
    return false;
  }
  ++n;
  return true;
}

void SourceCounts::remove(const SourceBucket& source) {
  Shard& s = shard(source);
  std::lock_guard lock(s.mu);
  auto it = s.counts.find(source);
  if (it == s.counts.end()) return;
  if (--it->second == 0) s.counts.erase(it);
}

uint64_t SourceCounts::count(const SourceBucket& source) const {
  const Shard& s = shard(source);
  std::lock_guard lock(s.mu);
  auto it = s.counts.find(source);
  return it == s.counts.end() ? 0 : it->second;
}

}  // namespace mtedge::gateway
