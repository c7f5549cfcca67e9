#include "io/timer_heap.h"

#include <cassert>

namespace mtedge::io {

void TimerHeap::init(uv_loop_t* loop) {
  loop_ = loop;
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
}

void TimerHeap::close(uv_close_cb on_closed, void* closed_data) {
  assert(heap_.empty());
  if (loop_ != nullptr && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&timer_))) {
    timer_.data = closed_data;  // on_timer never runs once the timer is closing
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_closed);
  }
}

void TimerHeap::arm(Node& node, uint64_t ms) {
  node.due_ms_ = uv_now(loop_) + ms;
  if (node.armed()) {
    restore(node.index_);
  } else {
    heap_.push_back(&node);
    node.index_ = uint32_t(heap_.size() - 1);
    restore(node.index_);
  }
  reschedule();
}

void TimerHeap::cancel(Node& node) {
  if (!node.armed()) return;
  remove_at(node.index_);
  reschedule();
}

void TimerHeap::remove_at(size_t i) {
  Node* gone = heap_[i];
  Node* last = heap_.back();
  heap_.pop_back();
  gone->index_ = Node::kUnarmed;
  if (last != gone) {
    put(i, last);
    restore(i);
  }
}

void TimerHeap::put(size_t i, Node* node) {
  heap_[i] = node;
  node->index_ = uint32_t(i);
}

void TimerHeap::restore(size_t i) {
  Node* node = heap_[i];
  while (i > 0) {
    const size_t parent = (i - 1) / 2;
    if (heap_[parent]->due_ms_ <= node->due_ms_) break;
    put(i, heap_[parent]);
    i = parent;
  }
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= heap_.size()) break;
    if (child + 1 < heap_.size() && heap_[child + 1]->due_ms_ < heap_[child]->due_ms_) ++child;
    if (node->due_ms_ <= heap_[child]->due_ms_) break;
    put(i, heap_[child]);
    i = child;
  }
  put(i, node);
}

void TimerHeap::reschedule() {
  if (running_) return;
  if (heap_.empty()) {
    if (scheduled_ms_ != std::numeric_limits<uint64_t>::max()) {
      uv_timer_stop(&timer_);
      scheduled_ms_ = std::numeric_limits<uint64_t>::max();
    }
    return;
  }
  const uint64_t due = heap_.front()->due_ms_;
  if (due == scheduled_ms_) return;
  const uint64_t now = uv_now(loop_);
  uv_timer_start(&timer_, on_timer, due > now ? due - now : 0, 0);
  scheduled_ms_ = due;
}

void TimerHeap::on_timer(uv_timer_t* timer) {
  static_cast<TimerHeap*>(timer->data)->run_due();
}

void TimerHeap::run_due() {
  scheduled_ms_ = std::numeric_limits<uint64_t>::max();  // the one-shot uv timer has fired
  running_ = true;
  const uint64_t now = uv_now(loop_);
  // Nodes armed by on_due() for `now` or earlier (0 ms) run on the next turn, as a 0 ms
  // uv_timer_t would: at most the nodes due when this turn began run now.
  size_t budget = heap_.size();
  while (!heap_.empty() && heap_.front()->due_ms_ <= now && budget-- > 0) {
    Node* node = heap_.front();
    remove_at(0);
    node->on_due();
  }
  running_ = false;
  reschedule();
}

}  // namespace mtedge::io
