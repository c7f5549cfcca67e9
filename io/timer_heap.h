// TimerHeap: the deadlines of all of a worker's connections on one uv_timer_t (a binary
// min-heap by due time), so a connection carries a 24-byte Node instead of its own 152-byte
// uv_timer_t. On the loop's thread only.
//
// Contract: a Node is armed at most once (arm() again moves its deadline); on_due() runs on
// the loop once uv_now() has reached the deadline, with the node already unarmed, and may arm
// or cancel any node, its own included. A node must be cancelled before it is destroyed.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace mtedge::io {

class TimerHeap {
 public:
  class Node {
   public:
    bool armed() const { return index_ != kUnarmed; }

   protected:
    Node() = default;
    virtual ~Node() = default;
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

   private:
    friend class TimerHeap;
    static constexpr uint32_t kUnarmed = std::numeric_limits<uint32_t>::max();
    virtual void on_due() = 0;
    uint64_t due_ms_ = 0;
    uint32_t index_ = kUnarmed;  // position in heap_
  };

  TimerHeap() = default;
  TimerHeap(const TimerHeap&) = delete;
  TimerHeap& operator=(const TimerHeap&) = delete;

  // Before any arm(): the loop whose uv_now() and uv_timer_t it uses.
  void init(uv_loop_t* loop);
  // uv_close()s the timer (no node may be armed any more). The heap must stay alive until the
  // loop has closed it: `on_closed` (if any) then runs with handle->data == `closed_data`.
  void close(uv_close_cb on_closed = nullptr, void* closed_data = nullptr);

  // Due `ms` after uv_now(); replaces the node's earlier deadline.
  void arm(Node& node, uint64_t ms);
  // No-op when not armed.
  void cancel(Node& node);
  size_t armed_count() const { return heap_.size(); }

 private:
  static void on_timer(uv_timer_t* timer);
  void run_due();
  void remove_at(size_t i);
  // Moves heap_[i] up or down to where it belongs.
  void restore(size_t i);
  void put(size_t i, Node* node);
  // Starts the uv timer for the earliest deadline (stops it when nothing is armed).
  void reschedule();

  uv_loop_t* loop_ = nullptr;
  uv_timer_t timer_{};
  std::vector<Node*> heap_;
  uint64_t scheduled_ms_ = std::numeric_limits<uint64_t>::max();  // the uv timer's deadline
  bool running_ = false;  // inside run_due(): it reschedules once at the end
};

}  // namespace mtedge::io
