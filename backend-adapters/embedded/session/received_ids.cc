#include "backend-adapters/embedded/session/received_ids.h"

#include <algorithm>

namespace mtedge::backend::embedded {

std::vector<ReceivedIds::Entry>::const_iterator ReceivedIds::lower_bound(int64_t msg_id) const {
  return std::lower_bound(entries_.begin() + std::ptrdiff_t(head_), entries_.end(), msg_id,
                          [](const Entry& e, int64_t id) { return e.msg_id < id; });
}

const ReceivedIds::Entry* ReceivedIds::find(int64_t msg_id) const {
  auto it = lower_bound(msg_id);
  return it != entries_.end() && it->msg_id == msg_id ? &*it : nullptr;
}

const ReceivedIds::Entry* ReceivedIds::at_or_before(int64_t msg_id) const {
  auto it = lower_bound(msg_id);
  if (it != entries_.end() && it->msg_id == msg_id) return &*it;
  return it == entries_.begin() + std::ptrdiff_t(head_) ? nullptr : &*std::prev(it);
}

const ReceivedIds::Entry* ReceivedIds::after(int64_t msg_id) const {
  auto it = lower_bound(msg_id);
  if (it != entries_.end() && it->msg_id == msg_id) ++it;
  return it == entries_.end() ? nullptr : &*it;
}

void ReceivedIds::insert_or_assign(int64_t msg_id, int32_t seq_no, bool container) {
  const Entry entry{msg_id, seq_no, container};
  if (empty() || entries_.back().msg_id < msg_id) {
    entries_.push_back(entry);
    return;
  }
  auto it = entries_.begin() + (lower_bound(msg_id) - entries_.begin());
  if (it != entries_.end() && it->msg_id == msg_id) {
    *it = entry;
  } else {
    entries_.insert(it, entry);
  }
}

int64_t ReceivedIds::pop_oldest() {
  const int64_t msg_id = entries_[head_++].msg_id;
  if (head_ == entries_.size()) {
    entries_.clear();
    head_ = 0;
  } else if (head_ >= 16 && head_ * 2 >= entries_.size()) {
    // Half the array is forgotten: move the live half down (amortized O(1) per id).
    entries_.erase(entries_.begin(), entries_.begin() + std::ptrdiff_t(head_));
    head_ = 0;
  }
  return msg_id;
}

}  // namespace mtedge::backend::embedded
