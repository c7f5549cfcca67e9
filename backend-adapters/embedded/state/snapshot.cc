// Model::snapshot: the model as records (what a compacted log starts with). Every part of the
// model is emitted; a new part (a new record type's state) must be added here, and the round
// trip test (tests/unit/backend-adapters/embedded/state/snapshot_test.cc) must cover it.
#include <unordered_map>

#include "backend-adapters/embedded/state/model.h"

namespace mtedge::backend::embedded::state {

void Model::snapshot(const std::function<void(const Record&)>& emit) const {
  for (const auto& [phone, code] : codes_) emit(code);
  for (const auto& [id, u] : users_) {
    emit(UserCreated{u.id, u.phone, u.first_name, u.last_name, u.access_secret, u.date});
    if (!u.about.empty()) emit(ProfileSet{u.id, u.first_name, u.last_name, u.about});
    if (!u.username.empty()) emit(UsernameSet{u.id, u.username});
  }
  for (const auto& [user_id, keys] : user_keys_) {
    for (uint64_t key : keys) emit(KeyBound{key, user_id});
  }
  for (const auto& [id, chat] : chats_) {
    SnapshotChat record{id, chat.title, chat.creator, chat.date, chat.version, {}, {}};
    for (const ChatMember& m : chat.members) {
      record.members.push_back(SnapshotChatMember{m.user_id, m.inviter, m.date});
    }
    record.kicked.assign(chat.kicked.begin(), chat.kicked.end());
    emit(record);
  }
  for (const auto& [owner, box] : boxes_) {
    emit(SnapshotBox{owner, box.pts});
    std::unordered_map<int32_t, int64_t> random_ids;  // outgoing message id -> random_id
    for (const auto& [random_id, msg_id] : box.sent_by_random_id) random_ids[msg_id] = random_id;
    for (const Message& m : box.messages) {
      auto it = random_ids.find(m.id);
      emit(SnapshotMessage{owner, m.id, m.peer, m.out ? 1 : 0, m.date, m.text, m.entities, m.pts,
                           m.peer_msg_id, it == random_ids.end() ? 0 : it->second, m.from, m.action,
                           m.edit_date, m.deleted});
    }
    for (const Event& e : box.events) {
      emit(SnapshotEvent{owner, int32_t(e.kind), e.pts, e.msg_id, e.peer, e.max_id, e.still_unread,
                         e.ids});
    }
    for (const auto& [peer, d] : box.dialogs) {
      emit(SnapshotDialog{owner, d.peer, d.top_message, d.read_inbox_max_id, d.read_outbox_max_id,
                          d.unread_count});
    }
    for (const auto& [contact, c] : box.contacts) {
      emit(ContactAdded{owner, c.user_id, c.first_name, c.last_name});
    }
    for (const auto& [peer, date] : box.blocked) emit(PeerBlocked{owner, peer, date});
  }
}

}  // namespace mtedge::backend::embedded::state
