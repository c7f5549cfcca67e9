#include "gateway/conn/http_holders.h"

#include <algorithm>

namespace mtedge::gateway {

void HttpHolders::hold(uint64_t auth_key_id, backend::ConnId conn) {
  Shard& s = shard(auth_key_id);
  std::lock_guard lock(s.mu);
  std::vector<backend::ConnId>& list = s.holders[auth_key_id];
  if (std::find(list.begin(), list.end(), conn) == list.end()) list.push_back(conn);
}

void HttpHolders::release(uint64_t auth_key_id, backend::ConnId conn) {
  Shard& s = shard(auth_key_id);
  std::lock_guard lock(s.mu);
  auto it = s.holders.find(auth_key_id);
  if (it == s.holders.end()) return;
  std::erase(it->second, conn);
  if (it->second.empty()) s.holders.erase(it);
}

std::optional<backend::ConnId> HttpHolders::longest(uint64_t auth_key_id,
                                                    backend::ConnId except) const {
  const Shard& s = shard(auth_key_id);
  std::lock_guard lock(s.mu);
  auto it = s.holders.find(auth_key_id);
  if (it == s.holders.end()) return std::nullopt;
  for (backend::ConnId conn : it->second) {
    if (conn != except) return conn;
  }
  return std::nullopt;
}

size_t HttpHolders::keys() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.holders.size();
  }
  return n;
}

}  // namespace mtedge::gateway
