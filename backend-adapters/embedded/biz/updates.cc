// updates.getState and updates.getDifference over the caller's one pts sequence
// (docs/spec/messenger.md §4).
#include "backend-adapters/embedded/biz/biz.h"
#include "backend-adapters/embedded/biz/common.h"

namespace mtedge::backend::embedded::biz {
namespace {

constexpr size_t kDifferenceEvents = 100;  // events per updates.difference(Slice)

tl::Object state_object(const state::Box& box, int32_t pts, int32_t date) {
  int32_t unread = 0;
  for (const auto& [peer, dialog] : box.dialogs) unread += dialog.unread_count;
  tl::Object o("updates.state");
  o.set("pts", tl::Value::i32(pts));
  o.set("qts", tl::Value::i32(0));
  o.set("date", tl::Value::i32(date));
  o.set("seq", tl::Value::i32(0));
  o.set("unread_count", tl::Value::i32(unread));
  return o;
}

// Everything after the client's pts: new messages, edits, deletions and read events, at most
// kDifferenceEvents (then a differenceSlice whose state is the last one included, so each call
// moves forward). A pts ahead of the server's (state lost) is answered differenceTooLong with the
// server's.
Bytes get_difference(const state::Model& model, const CallContext& c, const tl::Object& q) {
  const state::Box& box = *model.box(c.user_id);
  const int32_t pts = int_field(q, "pts");
  const int32_t date = unix_now(c);
  if (pts > box.pts) {
    tl::Object too_long("updates.differenceTooLong");
    too_long.set("pts", tl::Value::i32(box.pts));
    return api::answer(c, too_long);
  }
  auto first = std::upper_bound(box.events.begin(), box.events.end(), pts,
                                [](int32_t p, const state::Event& e) { return p < e.pts; });
  if (first == box.events.end()) {
    tl::Object empty("updates.differenceEmpty");
    empty.set("date", tl::Value::i32(date));
    empty.set("seq", tl::Value::i32(0));
    return api::answer(c, empty);
  }
  const size_t left = size_t(box.events.end() - first);
  const auto last = first + std::ptrdiff_t(std::min(left, kDifferenceEvents));
  std::vector<tl::Object> messages;
  std::vector<tl::Object> others;
  std::set<int64_t> users{c.user_id};
  std::set<int64_t> chats;
  for (auto it = first; it != last; ++it) {
    if (it->kind == state::Event::Kind::kNewMessage ||
        it->kind == state::Event::Kind::kEditMessage) {
      // The message as it is now; one deleted since is left out (its deletion follows).
      const state::Message* m = box.live_message(it->msg_id);
      if (m == nullptr) continue;
      if (it->kind == state::Event::Kind::kNewMessage) {
        messages.push_back(message_object(*m, c.user_id));
      } else {
        others.push_back(edit_update(*m, c.user_id, it->pts));
      }
      note_message(*m, c.user_id, users, chats);
    } else if (it->kind == state::Event::Kind::kDeleteMessages) {
      others.push_back(event_update(*it));
    } else {
      others.push_back(event_update(*it));
      if (state::is_chat_peer(it->peer)) {
        chats.insert(-it->peer);
      } else {
        users.insert(it->peer);
      }
    }
  }
  const bool slice = last != box.events.end();
  tl::Object diff(slice ? "updates.differenceSlice" : "updates.difference");
  diff.set("new_messages", vec(std::move(messages)));
  diff.set("other_updates", vec(std::move(others)));
  diff.set("chats", vec(chat_objects(model, chats, c.user_id)));
  diff.set("users", vec(user_objects(model, users, c.user_id)));
  diff.set(slice ? "intermediate_state" : "state",
           obj(state_object(box, slice ? std::prev(last)->pts : box.pts, date)));
  return api::answer(c, diff);
}

}  // namespace

void add_updates_methods(api::Dispatcher& dispatcher, std::shared_ptr<state::Store> store) {
  add(dispatcher, "updates.getState", [store](const CallContext& c, const tl::Object&) {
    return store->read([&](const state::Model& model) {
      const state::Box& box = *model.box(c.user_id);
      return api::answer(c, state_object(box, box.pts, unix_now(c)));
    });
  });
  add(dispatcher, "updates.getDifference", [store](const CallContext& c, const tl::Object& q) {
    return store->read([&](const state::Model& model) { return get_difference(model, c, q); });
  });
}

}  // namespace mtedge::backend::embedded::biz
