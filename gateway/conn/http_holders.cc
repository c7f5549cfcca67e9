#include "gateway/conn/http_holders.h"

#include <algorithm>

namespace mtedge::gateway {

void HttpHolders::hold(const HoldKey& key, backend::ConnId conn) {
  Shard& s = shard(key);
  std::lock_guard lock(s.mu);
  std::vector<backend::ConnId>& list = s.holders[key];
  if (std::find(list.begin(), list.end(), conn) == list.end()) list.push_back(conn);
}

void HttpHolders::release(const HoldKey& key, backend::ConnId conn) {
  Shard& s = shard(key);
  std::lock_guard lock(s.mu);
  auto it = s.holders.find(key);
  if (it == s.holders.end()) return;
  std::erase(it->second, conn);
  if (it->second.empty()) s.holders.erase(it);
}

std::optional<backend::ConnId> HttpHolders::longest(const HoldKey& key,
                                                    backend::ConnId except) const {
  const Shard& s = shard(key);
  std::lock_guard lock(s.mu);
  auto it = s.holders.find(key);
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
