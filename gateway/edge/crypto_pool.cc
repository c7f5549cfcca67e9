#include "gateway/edge/crypto_pool.h"

#include <sys/resource.h>
#include <unistd.h>

namespace mtedge::gateway {
namespace {

// How much nicer than the process the pool's threads run. Linux applies setpriority() on a
// thread id to that thread alone; at +10 a saturated worker loop gets about ten times the CPU
// of a busy pool thread, so a handshake flood slows new key creation before it slows the
// connections that already have keys.
constexpr int kNiceOffset = 10;

void run_nicer() {
  const int base = getpriority(PRIO_PROCESS, 0);
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), base + kNiceOffset);  // best effort
}

}  // namespace

CryptoPool::CryptoPool(size_t threads, size_t max_queued) : max_queued_(max_queued) {
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

CryptoPool::~CryptoPool() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    dropped.swap(jobs_);
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
}

bool CryptoPool::submit(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || (max_queued_ != 0 && jobs_.size() >= max_queued_)) return false;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

size_t CryptoPool::queued() const {
  std::lock_guard lock(mu_);
  return jobs_.size();
}

void CryptoPool::run() {
  run_nicer();
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace mtedge::gateway
