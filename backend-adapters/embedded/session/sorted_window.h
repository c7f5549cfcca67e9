// A bounded, id-ordered set of per-session records (received msg_ids, stored answers): a
// sorted flat array whose front moves, so forgetting the lowest id is O(1) amortized and a
// session with a few records costs one small allocation. Ids almost always arrive in
// increasing order (an append); an older one is inserted in place.
//
// `Entry` is a plain struct with an `int64_t id` member. Pointers returned by the lookups
// stay valid until the next insert_or_assign() or pop_oldest().
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <vector>

namespace mtedge::backend::embedded {

template <class Entry>
class SortedWindow {
 public:
  using const_iterator = typename std::vector<Entry>::const_iterator;

  size_t size() const { return entries_.size() - head_; }
  bool empty() const { return size() == 0; }
  const_iterator begin() const { return entries_.begin() + std::ptrdiff_t(head_); }
  const_iterator end() const { return entries_.end(); }

  bool contains(int64_t id) const { return find(id) != nullptr; }
  // The entry with this id; null if there is none.
  const Entry* find(int64_t id) const {
    auto it = lower_bound(id);
    return it != end() && it->id == id ? &*it : nullptr;
  }
  // The entry with the greatest id <= `id`; null if there is none.
  const Entry* at_or_before(int64_t id) const {
    auto it = lower_bound(id);
    if (it != end() && it->id == id) return &*it;
    return it == begin() ? nullptr : &*std::prev(it);
  }
  // The entry with the smallest id > `id`; null if there is none.
  const Entry* after(int64_t id) const {
    auto it = lower_bound(id);
    if (it != end() && it->id == id) ++it;
    return it == end() ? nullptr : &*it;
  }

  // Adds `entry`, or replaces the one with its id.
  void insert_or_assign(Entry entry) {
    if (empty() || entries_.back().id < entry.id) {
      entries_.push_back(std::move(entry));
      return;
    }
    auto it = entries_.begin() + (lower_bound(entry.id) - entries_.cbegin());
    if (it != entries_.end() && it->id == entry.id) {
      *it = std::move(entry);
    } else {
      entries_.insert(it, std::move(entry));
    }
  }

  // Forgets the entry with the lowest id and returns that id. Requires !empty().
  int64_t pop_oldest() {
    Entry& oldest = entries_[head_++];
    const int64_t id = oldest.id;
    oldest = Entry{};  // what it owns goes now
    if (head_ == entries_.size()) {
      entries_.clear();
      head_ = 0;
    } else if (head_ >= 16 && head_ * 2 >= entries_.size()) {
      // Half the array is forgotten: move the live half down (amortized O(1) per id).
      entries_.erase(entries_.begin(), entries_.begin() + std::ptrdiff_t(head_));
      head_ = 0;
    }
    return id;
  }

 private:
  // The first live entry with an id >= `id` (end() if none).
  const_iterator lower_bound(int64_t id) const {
    return std::lower_bound(begin(), end(), id, [](const Entry& e, int64_t v) { return e.id < v; });
  }

  std::vector<Entry> entries_;  // sorted by id; [0, head_) are forgotten
  size_t head_ = 0;
};

}  // namespace mtedge::backend::embedded
