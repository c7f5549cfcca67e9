#include "io/flush_list.h"

#include <vector>

namespace mtedge::io {

struct FlushList::Handles {
  uv_check_t check;
  uv_idle_t idle;
  FlushList* list = nullptr;  // null once the list is gone
  std::function<void()> closed;
  int open = 2;
  bool armed = false;

  void close() {
    auto done = [](uv_handle_t* h) {
      auto* self = static_cast<Handles*>(h->data);
      if (--self->open > 0) return;
      FlushList* owner = self->list;
      std::function<void()> then = std::move(self->closed);
      delete self;
      if (owner == nullptr) return;
      owner->handles_ = nullptr;
      if (then) then();
    };
    uv_close(reinterpret_cast<uv_handle_t*>(&check), done);
    uv_close(reinterpret_cast<uv_handle_t*>(&idle), done);
  }
};

FlushList::~FlushList() {
  if (handles_ == nullptr) return;
  handles_->list = nullptr;
  handles_->closed = nullptr;
  if (!closing_) handles_->close();
}

void FlushList::init(uv_loop_t* loop) {
  handles_ = new Handles;
  handles_->list = this;
  uv_check_init(loop, &handles_->check);
  uv_idle_init(loop, &handles_->idle);
  handles_->check.data = handles_;
  handles_->idle.data = handles_;
}

void FlushList::add(void* item, bool& listed) {
  if (listed || closing_ || handles_ == nullptr) return;
  listed = true;
  items_.push_back({item, &listed});
  if (!handles_->armed) {
    handles_->armed = true;
    uv_check_start(&handles_->check, on_check);
    uv_idle_start(&handles_->idle, [](uv_idle_t*) {});
  }
}

void FlushList::remove(void* item) {
  // Every entry of it (there is one unless its flag was cleared behind the list's back).
  std::erase_if(items_, [&](const Entry& e) {
    if (e.item != item) return false;
    *e.listed = false;
    return true;
  });
  for (Entry& e : batch_) {
    if (e.item == item) {
      *e.listed = false;
      e = Entry{nullptr, nullptr};
    }
  }
}

void FlushList::close(std::function<void()> closed) {
  items_.clear();
  batch_.clear();
  if (closing_ || handles_ == nullptr) return;
  closing_ = true;
  handles_->closed = std::move(closed);
  handles_->close();
}

void FlushList::on_check(uv_check_t* check) {
  auto* handles = static_cast<Handles*>(check->data);
  handles->armed = false;
  uv_check_stop(&handles->check);
  uv_idle_stop(&handles->idle);
  if (handles->list != nullptr) handles->list->run();
}

void FlushList::run() {
  // Both vectors keep their capacity: no allocation per loop iteration.
  batch_.swap(items_);
  for (size_t i = 0; i < batch_.size(); ++i) {
    const Entry e = batch_[i];
    if (e.item == nullptr) continue;  // removed meanwhile
    *e.listed = false;
    flush_(e.item);
  }
  batch_.clear();
}

}  // namespace mtedge::io
