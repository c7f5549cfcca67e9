// Per-user token buckets for sending messages: each user may send `per_second` messages a
// second on average and `burst` at once; over that a send is refused with FLOOD_WAIT_X, X the
// whole seconds until the next one is allowed. In memory only; thread-safe (a leaf mutex).
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace mtedge::backend::embedded::biz {

class FloodLimit {
 public:
  FloodLimit(uint32_t per_second, uint32_t burst);

  // Takes one token for `user` at `now` (unix seconds): 0 if it had one, else the seconds
  // (at least 1) until it will.
  int32_t take(int64_t user, double now);

 private:
  struct Bucket {
    double tokens = 0;
    double at = 0;  // when `tokens` was last brought up to date
  };
  const double per_second_;
  const double burst_;
  std::mutex mu_;
  std::unordered_map<int64_t, Bucket> buckets_;
};

}  // namespace mtedge::backend::embedded::biz
