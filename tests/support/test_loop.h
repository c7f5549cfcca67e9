// A libuv loop for in-process tests: a 5 ms tick wakes it so run_until can check its
// predicate; close() closes the tick and runs the loop until every handle has closed.
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>

namespace mtedge::test {

class TestLoop {
 public:
  TestLoop() {
    uv_loop_init(&loop_);
    uv_timer_init(&loop_, &tick_);
    uv_timer_start(
        &tick_, [](uv_timer_t*) {}, 5, 5);
  }
  TestLoop(const TestLoop&) = delete;
  TestLoop& operator=(const TestLoop&) = delete;

  uv_loop_t* get() { return &loop_; }

  // Runs the loop until `done` holds; false when `timeout_ms` passed first.
  bool run_until(const std::function<bool()>& done, int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      uv_run(&loop_, UV_RUN_ONCE);
    }
    return true;
  }

  // Runs the loop for `ms` whatever happens.
  void run_for(int ms) {
    run_until([] { return false; }, ms);
  }

  // Closes the tick and runs the loop until every handle closed; uv_loop_close's result
  // (0: nothing was left open).
  int close() {
    uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    return uv_loop_close(&loop_);
  }

 private:
  uv_loop_t loop_;
  uv_timer_t tick_;
};

}  // namespace mtedge::test
