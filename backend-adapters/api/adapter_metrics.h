// Counters an adapter exports on the admin endpoint (GET /metrics), one set per worker.
//
// An adapter asks its worker's AdapterMetrics (AdapterContext::metrics) for its counters
// when it is created and keeps the references. The counters belong to the worker, not the
// adapter: they stay valid for as long as the gateway runs, so the admin thread may read
// them at any time, also while the adapter is being destroyed.
//
// Threading: only the adapter's worker writes a counter (a relaxed load + store, no locked
// instruction on the hot path); the admin thread reads with relaxed loads. Registration
// takes a mutex and is meant for creation time. The gateway sums counters of the same name
// over the workers.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace mtedge::backend {

// A monotonic counter with a single writer (see above).
struct Counter {
  std::atomic<uint64_t> value{0};
  void add(uint64_t n = 1) {
    value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void sub(uint64_t n = 1) {
    value.store(value.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
  }
  uint64_t get() const { return value.load(std::memory_order_relaxed); }
};

class AdapterMetrics {
 public:
  struct Value {
    std::string name;
    std::string help;
    uint64_t value = 0;
  };

  // The counter exported as `name` with the HELP text `help` (one line). `name` must be a valid
  // Prometheus metric name; by convention mtedge_<adapter>_<what>_total. Asking again for a
  // name returns the same counter (and keeps the first help text). Thread-safe.
  Counter& counter(std::string_view name, std::string_view help);

  // Every counter's current value, in registration order. Thread-safe.
  std::vector<Value> read() const;

 private:
  struct Entry {
    std::string name;
    std::string help;
    Counter counter;
  };
  mutable std::mutex mu_;
  std::deque<Entry> entries_;  // a deque: references stay valid as it grows
};

}  // namespace mtedge::backend
