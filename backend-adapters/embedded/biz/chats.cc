// Basic groups (docs/backends/embedded.md, "Basic groups"): messages.createChat, addChatUser,
// deleteChatUser, editChatTitle, getChats, getFullChat, and sendMessage to a chat. Every change
// of members or title is announced by a service message that, like any chat message, is one
// state::ChatMessageSent with a copy in the box of every member at that moment.
#include "backend-adapters/embedded/biz/chats.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "backend-adapters/embedded/biz/biz.h"

namespace mtedge::backend::embedded::biz {
namespace {

using Kind = state::ChatAction::Kind;

constexpr size_t kMaxTitleLength = 128;  // UTF-16 code units
constexpr size_t kMaxMembers = 200;

// Updates for other sessions, by user, left for push() once the store's lock is released.
using Deliveries = std::vector<std::pair<int64_t, tl::Object>>;

void deliver(const CallContext& c, Deliveries& deliveries) {
  for (auto& [user_id, updates] : deliveries) push(c, user_id, std::move(updates));
}

// Fills `record`'s copies (the next id and pts of every current member's box) and applies it.
void post(state::Transaction& txn, state::ChatMessageSent& record) {
  const state::Model& model = txn.model();
  for (const state::ChatMember& member : model.chat(record.chat_id)->members) {
    if (const state::Box* box = model.box(member.user_id)) {
      record.copies.push_back(state::ChatCopy{member.user_id, box->next_msg_id(), box->pts + 1});
    }
  }
  txn.apply(record);
}

// `owner`'s copy of a message as `updates` (updateMessageID first for a random_id) with the
// users and chats it names.
tl::Object message_updates(const state::Model& model, int64_t owner, const state::Message& m,
                           int64_t random_id, int32_t date) {
  std::set<int64_t> users;
  std::set<int64_t> chats;
  note_message(m, owner, users, chats);
  std::vector<tl::Object> updates;
  if (random_id != 0) {
    updates.push_back(tl::Object("updateMessageID")
                          .set("id", tl::Value::i32(m.id))
                          .set("random_id", tl::Value::i64(random_id)));
  }
  updates.push_back(tl::Object("updateNewMessage")
                        .set("message", obj(message_object(m, owner)))
                        .set("pts", tl::Value::i32(m.pts))
                        .set("pts_count", tl::Value::i32(1)));
  tl::Object o("updates");
  o.set("updates", vec(std::move(updates)));
  o.set("users", vec(user_objects(model, users, owner)));
  o.set("chats", vec(chat_objects(model, chats, owner)));
  o.set("date", tl::Value::i32(date));
  o.set("seq", tl::Value::i32(0));
  return o;
}

// After every record of the call is applied (so each member sees the chat as it is now): the
// caller's copy as `updates` (the answer), and every copy for its owner's sessions in `out` (a
// plain message as updateShortChatMessage, a service message as `updates`).
tl::Object announce(const state::Model& model, const CallContext& c,
                    const state::ChatMessageSent& record, Deliveries& out) {
  tl::Object answer;
  for (const state::ChatCopy& copy : record.copies) {
    const state::Message& m = *model.box(copy.user_id)->message(copy.msg_id);
    const bool plain = m.action.kind == Kind::kNone;
    out.emplace_back(copy.user_id, plain ? short_message_update(m)
                                         : message_updates(model, copy.user_id, m, 0, record.date));
    if (copy.user_id == c.user_id) {
      answer = message_updates(model, c.user_id, m, record.random_id, record.date);
    }
  }
  return answer;
}

// `updates` as `method` returns it in the caller's layer: wrapped in messages.invitedUsers
// where the method returns messages.InvitedUsers (createChat and addChatUser from layer 193).
Bytes answer_updates(const CallContext& c, std::string_view method, tl::Object updates) {
  const tl::Combinator* function = c.schema->by_name(method);
  if (function != nullptr && function->result.name == "messages.InvitedUsers") {
    tl::Object invited("messages.invitedUsers");
    invited.set("updates", obj(std::move(updates)));
    invited.set("missing_invitees", vec({}));
    return api::answer(c, invited);
  }
  return api::answer(c, updates);
}

// Empty if `user` is a member of `chat`; else the error: 400 CHAT_ID_INVALID for a chat it never
// was in (or none), 403 CHAT_WRITE_FORBIDDEN for one it left or was removed from.
Bytes member_error(const state::Model& model, const state::Chat* chat, int64_t user) {
  if (chat == nullptr || !knows_chat(model, *chat, user)) return error(400, "CHAT_ID_INVALID");
  if (!chat->is_member(user)) return error(403, "CHAT_WRITE_FORBIDDEN");
  return {};
}

// Empty if `title` may name a chat; else the error.
Bytes title_error(const std::string& title) {
  if (title.find_first_not_of(" \t\n") == std::string::npos) return error(400, "CHAT_TITLE_EMPTY");
  if (utf16_length(title) > kMaxTitleLength) return error(400, "CHAT_TITLE_TOO_LONG");
  return {};
}

state::ChatMessageSent service_message(const CallContext& c, int64_t chat_id,
                                       state::ChatAction action) {
  state::ChatMessageSent record;
  record.chat_id = chat_id;
  record.from = c.user_id;
  record.date = unix_now(c);
  record.action = std::move(action);
  return record;
}

// The caller and the users it names (itself and repeats dropped) as the first members.
Bytes create_chat(state::Store& store, const CallContext& c, const tl::Object& q) {
  const std::string title = string_field(q, "title");
  if (Bytes bad = title_error(title); !bad.empty()) return bad;
  Deliveries deliveries;
  Bytes result = store.write([&](state::Transaction& txn) {
    const state::Model& model = txn.model();
    std::vector<int64_t> members{c.user_id};
    if (const tl::Value::List* users = vector_field(q, "users")) {
      for (const tl::Value& item : *users) {
        const tl::Object* input =
            item.kind() == tl::Value::Kind::kObject ? &item.as_object() : nullptr;
        auto id = resolve_input_user(model, c.user_id, input);
        if (!id) return error(400, "USER_ID_INVALID");
        if (std::find(members.begin(), members.end(), *id) == members.end()) {
          members.push_back(*id);
        }
      }
    }
    if (members.size() < 2) return error(400, "USERS_TOO_FEW");
    if (members.size() > kMaxMembers) return error(400, "USERS_TOO_MUCH");
    const int64_t chat_id = model.next_chat_id();
    txn.apply(state::ChatCreated{chat_id, c.user_id, title, unix_now(c), members});
    state::ChatMessageSent record =
        service_message(c, chat_id, state::ChatAction{Kind::kCreate, title, members});
    post(txn, record);
    return answer_updates(c, "messages.createChat", announce(model, c, record, deliveries));
  });
  deliver(c, deliveries);
  return result;
}

// A change to the query's chat by a member: `change` checks the rest of the query (an error
// ends it), applies its records and posts `record`, the service message announcing it.
using Change = std::function<Bytes(state::Transaction& txn, const state::Chat& chat,
                                   state::ChatMessageSent& record)>;
Bytes change_chat(state::Store& store, const CallContext& c, const tl::Object& q,
                  std::string_view method, const Change& change) {
  Deliveries deliveries;
  Bytes result = store.write([&](state::Transaction& txn) {
    const state::Model& model = txn.model();
    const state::Chat* chat = model.chat(long_field(q, "chat_id"));
    if (Bytes bad = member_error(model, chat, c.user_id); !bad.empty()) return bad;
    state::ChatMessageSent record = service_message(c, chat->id, {});
    if (Bytes bad = change(txn, *chat, record); !bad.empty()) return bad;
    return answer_updates(c, method, announce(model, c, record, deliveries));
  });
  deliver(c, deliveries);
  return result;
}

// Any member may add a user; the new member sees the chat from its joining on.
Bytes add_chat_user(state::Store& store, const CallContext& c, const tl::Object& q) {
  return change_chat(
      store, c, q, "messages.addChatUser",
      [&](state::Transaction& txn, const state::Chat& chat, state::ChatMessageSent& record) {
        auto user = resolve_input_user(txn.model(), c.user_id, object_field(q, "user_id"));
        if (!user) return error(400, "USER_ID_INVALID");
        if (chat.is_member(*user)) return error(400, "USER_ALREADY_PARTICIPANT");
        if (chat.members.size() >= kMaxMembers) {
          return error(400, "USERS_TOO_MUCH");
        }
        txn.apply(state::ChatUserAdded{chat.id, *user, c.user_id, unix_now(c)});
        record.action = state::ChatAction{Kind::kAddUser, "", {*user}};
        post(txn, record);
        return Bytes();
      });
}

// The creator removes a member; any member removes itself (leaves). The one that goes gets the
// service message announcing it, then nothing more from the chat; it keeps its history.
Bytes delete_chat_user(state::Store& store, const CallContext& c, const tl::Object& q) {
  return change_chat(
      store, c, q, "messages.deleteChatUser",
      [&](state::Transaction& txn, const state::Chat& chat, state::ChatMessageSent& record) {
        auto user = resolve_input_user(txn.model(), c.user_id, object_field(q, "user_id"));
        if (!user) return error(400, "USER_ID_INVALID");
        if (!chat.is_member(*user)) return error(400, "USER_NOT_PARTICIPANT");
        const bool kick = *user != c.user_id;
        if (kick && chat.creator != c.user_id) return error(400, "CHAT_ADMIN_REQUIRED");
        record.action = state::ChatAction{Kind::kDeleteUser, "", {*user}};
        post(txn, record);
        txn.apply(state::ChatUserRemoved{chat.id, *user, kick});
        return Bytes();
      });
}

Bytes edit_chat_title(state::Store& store, const CallContext& c, const tl::Object& q) {
  const std::string title = string_field(q, "title");
  if (Bytes bad = title_error(title); !bad.empty()) return bad;
  return change_chat(
      store, c, q, "messages.editChatTitle",
      [&](state::Transaction& txn, const state::Chat& chat, state::ChatMessageSent& record) {
        if (chat.title == title) return error(400, "CHAT_NOT_MODIFIED");
        txn.apply(state::ChatTitleSet{chat.id, title});
        record.action = state::ChatAction{Kind::kEditTitle, title, {}};
        post(txn, record);
        return Bytes();
      });
}

// Chats the caller is or was in; other ids are left out.
Bytes get_chats(const state::Model& model, const CallContext& c, const tl::Object& q) {
  std::set<int64_t> ids;
  if (const tl::Value::List* list = vector_field(q, "id")) {
    for (const tl::Value& id : *list) {
      if (id.kind() != tl::Value::Kind::kLong) continue;
      const state::Chat* chat = model.chat(id.as_long());
      if (chat != nullptr && knows_chat(model, *chat, c.user_id)) ids.insert(chat->id);
    }
  }
  return api::answer(
      c, tl::Object("messages.chats").set("chats", vec(chat_objects(model, ids, c.user_id))));
}

// Members see the participant list; a former member gets chatParticipantsForbidden.
Bytes get_full_chat(const state::Model& model, const CallContext& c, const tl::Object& q) {
  const state::Chat* chat = model.chat(long_field(q, "chat_id"));
  if (chat == nullptr || !knows_chat(model, *chat, c.user_id)) {
    return error(400, "CHAT_ID_INVALID");
  }
  std::set<int64_t> users{c.user_id};
  tl::Object participants("chatParticipantsForbidden");
  participants.set("chat_id", tl::Value::i64(chat->id));
  if (chat->is_member(c.user_id)) {
    std::vector<tl::Object> list;
    for (const state::ChatMember& m : chat->members) {
      const bool creator = m.user_id == chat->creator;
      tl::Object p(creator ? "chatParticipantCreator" : "chatParticipant");
      p.set("user_id", tl::Value::i64(m.user_id));
      if (!creator) {
        p.set("inviter_id", tl::Value::i64(m.inviter));
        p.set("date", tl::Value::i32(m.date));
      }
      list.push_back(std::move(p));
      users.insert(m.user_id);
    }
    participants = tl::Object("chatParticipants");
    participants.set("chat_id", tl::Value::i64(chat->id));
    participants.set("participants", vec(std::move(list)));
    participants.set("version", tl::Value::i32(chat->version));
  }
  tl::Object full("chatFull");
  full.set("id", tl::Value::i64(chat->id));
  full.set("about", tl::Value::str(""));
  full.set("participants", obj(std::move(participants)));
  full.set("notify_settings", obj(tl::Object("peerNotifySettings")));
  tl::Object answer("messages.chatFull");
  answer.set("full_chat", obj(std::move(full)));
  answer.set("chats", vec({chat_object(*chat, c.user_id)}));
  answer.set("users", vec(user_objects(model, users, c.user_id)));
  return api::answer(c, answer);
}

}  // namespace

Bytes send_chat_message(state::Store& store, const CallContext& c, const tl::Object& q) {
  const int64_t random_id = long_field(q, "random_id");
  Deliveries deliveries;
  Bytes result = store.write([&](state::Transaction& txn) {
    const state::Model& model = txn.model();
    auto peer = resolve_input_peer(model, c.user_id, object_field(q, "peer"));
    if (!peer) return error(400, "PEER_ID_INVALID");
    const state::Chat& chat = *model.chat(-*peer);
    if (!chat.is_member(c.user_id)) return error(403, "CHAT_WRITE_FORBIDDEN");
    const state::Box& mine = *model.box(c.user_id);
    // A resend (same random_id) answers with the message it already made.
    if (auto it = mine.sent_by_random_id.find(random_id); it != mine.sent_by_random_id.end()) {
      return api::answer(
          c, message_updates(model, c.user_id, *mine.message(it->second), random_id, unix_now(c)));
    }
    state::ChatMessageSent record;
    record.chat_id = chat.id;
    record.from = c.user_id;
    record.random_id = random_id;
    record.date = unix_now(c);
    record.text = string_field(q, "message");
    if (const tl::Value::List* entities = vector_field(q, "entities")) {
      record.entities = entities_from(*entities, [&](const tl::Object& input) {
        return resolve_input_user(model, c.user_id, &input).value_or(0);
      });
    }
    post(txn, record);
    return api::answer(c, announce(model, c, record, deliveries));
  });
  deliver(c, deliveries);
  return result;
}

void add_chats_methods(api::Dispatcher& dispatcher, std::shared_ptr<state::Store> store) {
  add(dispatcher, "messages.createChat",
      [store](const CallContext& c, const tl::Object& q) { return create_chat(*store, c, q); });
  add(dispatcher, "messages.addChatUser",
      [store](const CallContext& c, const tl::Object& q) { return add_chat_user(*store, c, q); });
  add(dispatcher, "messages.deleteChatUser", [store](const CallContext& c, const tl::Object& q) {
    return delete_chat_user(*store, c, q);
  });
  add(dispatcher, "messages.editChatTitle",
      [store](const CallContext& c, const tl::Object& q) { return edit_chat_title(*store, c, q); });
  add(dispatcher, "messages.getChats", [store](const CallContext& c, const tl::Object& q) {
    return store->read([&](const state::Model& model) { return get_chats(model, c, q); });
  });
  add(dispatcher, "messages.getFullChat", [store](const CallContext& c, const tl::Object& q) {
    return store->read([&](const state::Model& model) { return get_full_chat(model, c, q); });
  });
}

}  // namespace mtedge::backend::embedded::biz
