// A small pool of threads for the edge stage's expensive handshake steps (RSA decryption and
// 2048-bit modexps, the auth key file's fdatasync), so no worker loop waits on them
// (docs/mtproto.md "The edge decryption stage"). Its own threads rather than libuv's shared
// pool, which file system and DNS work also need.
//
// The threads run at a lower priority than the worker loops (nice +10): under CPU pressure the
// established connections are served first and key creation waits. Jobs run in submission
// order per thread, on any of the threads; a job posts its result back
// to its owner's loop itself. The destructor stops the threads after the job each is running;
// jobs still queued are dropped (destroyed unrun, on the destroying thread).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mtedge::gateway {

class CryptoPool {
 public:
  // At most `max_queued` jobs wait (0: no bound); submit refuses the rest.
  CryptoPool(size_t threads, size_t max_queued);
  ~CryptoPool();
  CryptoPool(const CryptoPool&) = delete;
  CryptoPool& operator=(const CryptoPool&) = delete;

  // Queues `job` (thread-safe, never blocks on the job); false (job dropped) when max_queued
  // jobs already wait or the pool is stopping.
  bool submit(std::function<void()> job);
  size_t queued() const;

 private:
  void run();

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  const size_t max_queued_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace mtedge::gateway
