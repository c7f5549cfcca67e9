// The client msg_ids a session has received, in id order, each with its seq_no: what duplicate
// detection, the seq_no order check and msgs_state_req look at. A sorted flat array (16 bytes
// per id) whose front moves, so forgetting the oldest id is O(1) amortized and an idle session
// with a few ids costs one small allocation. Ids almost always arrive in increasing order
// (an append); an older one is inserted in place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mtedge::backend::embedded {

class ReceivedIds {
 public:
  struct Entry {
    int64_t msg_id = 0;
    int32_t seq_no = 0;
    bool container = false;
  };

  size_t size() const { return entries_.size() - head_; }
  bool empty() const { return size() == 0; }
  bool contains(int64_t msg_id) const { return find(msg_id) != nullptr; }
  // The entry of `msg_id`; null if it is not here.
  const Entry* find(int64_t msg_id) const;
  // The entry with the greatest id <= `msg_id`; null if there is none.
  const Entry* at_or_before(int64_t msg_id) const;
  // The entry with the smallest id > `msg_id`; null if there is none.
  const Entry* after(int64_t msg_id) const;

  // Adds `msg_id`, or replaces its entry if it is here.
  void insert_or_assign(int64_t msg_id, int32_t seq_no, bool container);
  // Forgets the lowest id and returns it. Requires !empty().
  int64_t pop_oldest();

 private:
  // First live entry with id >= msg_id (end() if none).
  std::vector<Entry>::const_iterator lower_bound(int64_t msg_id) const;

  std::vector<Entry> entries_;  // sorted by msg_id; [0, head_) are forgotten
  size_t head_ = 0;
};

}  // namespace mtedge::backend::embedded
