// FlushList: items (usually owners of an OutboundQueue) that have bytes to write, flushed
// once per loop iteration, so everything queued during one iteration (many frames from one
// read, say) leaves in one write. On the loop's thread only; no protocol knowledge.
//
// The flush runs in the check phase, right after the poll phase's I/O callbacks. While
// anything is listed an idle handle is active too: it keeps the next poll from blocking when
// an item was listed outside the I/O phase (a timer, a callback of another loop phase). Both
// handles are started only while something is listed.
//
// Contract:
// - add(item, listed) lists `item` unless `listed` is already true, and sets it. `listed`
//   lives in the item (one bool) and stays true until the list clears it right before it
//   calls flush(item), or remove(item) does.
// - flush(item) may add or remove any item, the one being flushed included; an item added
//   during the flush is flushed in the next iteration. It must not destroy the list.
// - remove(item) before an item that may still be listed is destroyed (also from inside
//   another item's flush).
// - close(closed) closes the loop handles and forgets every item (their `listed` flags are
//   left as they are); `closed` runs once the handles are closed, unless the list is destroyed
//   first. add() is ignored from then on.
// - Destroying the list needs no close() first: its handles then close and free themselves
//   (as long as the loop runs once more).
#pragma once

#include <uv.h>

#include <functional>
#include <vector>

namespace mtedge::io {

class FlushList {
 public:
  using FlushFn = void (*)(void* item);
  // A FlushFn that calls `(item->*Method)()`: FlushList(&FlushList::call<T, &T::flush>).
  template <typename T, void (T::*Method)()>
  static void call(void* item) {
    (static_cast<T*>(item)->*Method)();
  }

  explicit FlushList(FlushFn flush) : flush_(flush) {}
  FlushList(uv_loop_t* loop, FlushFn flush) : flush_(flush) { init(loop); }
  ~FlushList();
  FlushList(const FlushList&) = delete;
  FlushList& operator=(const FlushList&) = delete;

  // Before any add(): the loop the handles run on.
  void init(uv_loop_t* loop);
  void add(void* item, bool& listed);
  void remove(void* item);
  void close(std::function<void()> closed = {});
  size_t size() const { return items_.size(); }

 private:
  struct Entry {
    void* item;
    bool* listed;
  };
  struct Handles;
  static void on_check(uv_check_t* check);
  void run();

  FlushFn flush_;
  Handles* handles_ = nullptr;  // heap: they may outlive the list until their close callbacks
  bool closing_ = false;
  std::vector<Entry> items_;  // listed for the next run
  std::vector<Entry> batch_;  // being flushed by run(); removed entries become null
};

}  // namespace mtedge::io
