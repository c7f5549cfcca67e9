#include "backend-adapters/embedded/biz/flood_limit.h"

#include <algorithm>
#include <cmath>

namespace mtedge::backend::embedded::biz {

FloodLimit::FloodLimit(uint32_t per_second, uint32_t burst)
    : per_second_(std::max<uint32_t>(per_second, 1)), burst_(std::max<uint32_t>(burst, 1)) {}

int32_t FloodLimit::take(int64_t user, double now) {
  std::lock_guard lock(mu_);
  auto [it, fresh] = buckets_.try_emplace(user, Bucket{burst_, now});
  Bucket& bucket = it->second;
  if (!fresh && now > bucket.at) {
    bucket.tokens = std::min(burst_, bucket.tokens + (now - bucket.at) * per_second_);
    bucket.at = now;
  }
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return 0;
  }
  return std::max(1, int32_t(std::ceil((1 - bucket.tokens) / per_second_)));
}

}  // namespace mtedge::backend::embedded::biz
