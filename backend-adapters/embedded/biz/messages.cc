// messages.sendMessage, messages.getHistory, messages.getDialogs, messages.readHistory,
// messages.editMessage, messages.deleteMessages (1:1 dialogs, docs/spec/messenger.md §3, and
// basic groups, §5; docs/backends/embedded.md "Messenger").
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "backend-adapters/embedded/biz/biz.h"
#include "backend-adapters/embedded/biz/chats.h"
#include "backend-adapters/embedded/biz/common.h"
#include "backend-adapters/embedded/biz/flood_limit.h"

namespace mtedge::backend::embedded::biz {
namespace {

constexpr size_t kMaxMessageLength = 4096;  // UTF-16 code units
constexpr int32_t kMaxPage = 100;

int32_t page_limit(int32_t asked) {
  return asked <= 0 || asked > kMaxPage ? kMaxPage : asked;
}

tl::Object short_sent(const state::Message& m) {
  tl::Object o("updateShortSentMessage");
  o.set("out", tl::Value::boolean(true));
  o.set("id", tl::Value::i32(m.id));
  o.set("pts", tl::Value::i32(m.pts));
  o.set("pts_count", tl::Value::i32(1));
  o.set("date", tl::Value::i32(m.date));
  return o;
}

tl::Object update_short(tl::Object update, int32_t date) {
  tl::Object o("updateShort");
  o.set("update", obj(std::move(update)));
  o.set("date", tl::Value::i32(date));
  return o;
}

Bytes send_message(state::Store& store, FloodLimit& flood, const CallContext& c,
                   const tl::Object& q) {
  const std::string text = string_field(q, "message");
  if (text.empty()) return error(400, "MESSAGE_EMPTY");
  if (utf16_length(text) > kMaxMessageLength) return error(400, "MESSAGE_TOO_LONG");
  if (const int32_t wait = flood.take(c.user_id, c.now); wait > 0) {
    if (c.flood_waits != nullptr) ++*c.flood_waits;
    return error(420, fmt::format("FLOOD_WAIT_{}", wait));
  }
  const int64_t random_id = long_field(q, "random_id");
  if (const tl::Object* peer = object_field(q, "peer"); peer && peer->name == "inputPeerChat") {
    return send_chat_message(store, c, q);
  }
  std::optional<state::Message> sent;
  std::optional<state::Message> received;
  Bytes result = store.write([&](state::Transaction& txn) {
    const state::Model& model = txn.model();
    auto to = resolve_input_user(model, c.user_id, object_field(q, "peer"));
    if (!to) return error(400, "PEER_ID_INVALID");
    const state::Box& mine = *model.box(c.user_id);
    // A resend (same random_id) answers with the message it already made.
    if (auto it = mine.sent_by_random_id.find(random_id); it != mine.sent_by_random_id.end()) {
      return api::answer(c, short_sent(*mine.message(it->second)));
    }
    auto resolve = [&](const tl::Object& input) {
      return resolve_input_user(model, c.user_id, &input).value_or(0);
    };
    state::MessageSent record;
    record.from = c.user_id;
    record.to = *to;
    record.random_id = random_id;
    record.date = unix_now(c);
    record.text = text;
    if (const tl::Value::List* entities = vector_field(q, "entities")) {
      record.entities = entities_from(*entities, resolve);
    }
    record.from_msg_id = mine.next_msg_id();
    record.from_pts = mine.pts + 1;
    const state::Box& theirs = *model.box(*to);
    // A recipient that blocked the sender gets nothing; the sender still sees its message sent.
    const bool deliver = *to != c.user_id && !theirs.blocked.contains(c.user_id);
    if (deliver) {
      record.to_msg_id = theirs.next_msg_id();
      record.to_pts = theirs.pts + 1;
    }
    txn.apply(record);
    sent = *txn.model().box(c.user_id)->message(record.from_msg_id);
    if (deliver) received = *txn.model().box(*to)->message(record.to_msg_id);
    return api::answer(c, short_sent(*sent));
  });
  if (sent) push(c, c.user_id, short_message_update(*sent));  // the sender's other sessions
  if (received)
    push(c, sent->peer, short_message_update(*received));  // every session of the recipient
  return result;
}

// The dialog's messages, newest first, paged as messages.getHistory pages
// (docs/spec/messenger.md §3.4).
Bytes get_history(state::Store& store, const CallContext& c, const tl::Object& q) {
  return store.read([&](const state::Model& model) {
    auto peer = resolve_input_peer(model, c.user_id, object_field(q, "peer"));
    if (!peer) return error(400, "PEER_ID_INVALID");
    const state::Box& box = *model.box(c.user_id);
    std::vector<const state::Message*> all;  // newest first
    for (auto it = box.messages.rbegin(); it != box.messages.rend(); ++it) {
      if (it->peer == *peer && !it->deleted) all.push_back(&*it);
    }
    const int32_t offset_id = int_field(q, "offset_id");
    const int32_t offset_date = int_field(q, "offset_date");
    const int32_t max_id = int_field(q, "max_id");
    const int32_t min_id = int_field(q, "min_id");
    // The first message older than the offset (by id, else by date).
    auto first = std::find_if(all.begin(), all.end(), [&](const state::Message* m) {
      if (offset_id > 0) return m->id < offset_id;
      if (offset_date > 0) return m->date < offset_date;
      return true;
    });
    int64_t start = int64_t(first - all.begin()) + int_field(q, "add_offset");
    start = std::clamp<int64_t>(start, 0, int64_t(all.size()));
    const int64_t end =
        std::min<int64_t>(start + page_limit(int_field(q, "limit")), int64_t(all.size()));
    std::vector<tl::Object> messages;
    std::set<int64_t> users{c.user_id, *peer};
    std::set<int64_t> chats;
    for (int64_t i = start; i < end; ++i) {
      const state::Message& m = *all[size_t(i)];
      if (max_id > 0 && m.id >= max_id) continue;
      if (min_id > 0 && m.id <= min_id) continue;
      messages.push_back(message_object(m, c.user_id));
      note_message(m, c.user_id, users, chats);
    }
    if (state::is_chat_peer(*peer)) chats.insert(-*peer);
    const bool whole = start == 0 && end == int64_t(all.size()) && max_id <= 0 && min_id <= 0;
    tl::Object answer(whole ? "messages.messages" : "messages.messagesSlice");
    if (!whole) answer.set("count", tl::Value::i32(int32_t(all.size())));
    answer.set("messages", vec(std::move(messages)));
    answer.set("chats", vec(chat_objects(model, chats, c.user_id)));
    answer.set("users", vec(user_objects(model, users, c.user_id)));
    return api::answer(c, answer);
  });
}

// Dialogs by their newest message, newest first; offset_id / offset_date page backwards.
Bytes get_dialogs(state::Store& store, const CallContext& c, const tl::Object& q) {
  return store.read([&](const state::Model& model) {
    const state::Box& box = *model.box(c.user_id);
    std::vector<const state::Dialog*> all;
    // Only the main folder exists (folder 1, the archive, is empty).
    if (int_field(q, "folder_id") == 0) {
      for (const auto& [peer, dialog] : box.dialogs) {
        if (dialog.top_message > 0) all.push_back(&dialog);
      }
    }
    std::sort(all.begin(), all.end(), [](const state::Dialog* a, const state::Dialog* b) {
      return a->top_message > b->top_message;
    });
    const int32_t offset_id = int_field(q, "offset_id");
    const int32_t offset_date = int_field(q, "offset_date");
    const int32_t limit = page_limit(int_field(q, "limit"));
    std::vector<tl::Object> dialogs;
    std::vector<tl::Object> messages;
    std::set<int64_t> users{c.user_id};
    std::set<int64_t> chats;
    size_t skipped = 0;
    for (const state::Dialog* d : all) {
      const state::Message& top = *box.message(d->top_message);
      if ((offset_id > 0 && top.id >= offset_id) || (offset_date > 0 && top.date >= offset_date)) {
        ++skipped;
        continue;
      }
      if (int32_t(dialogs.size()) == limit) break;
      tl::Object dialog("dialog");
      dialog.set("peer", obj(peer_object(d->peer)));
      dialog.set("top_message", tl::Value::i32(d->top_message));
      dialog.set("read_inbox_max_id", tl::Value::i32(d->read_inbox_max_id));
      dialog.set("read_outbox_max_id", tl::Value::i32(d->read_outbox_max_id));
      dialog.set("unread_count", tl::Value::i32(d->unread_count));
      dialog.set("notify_settings", obj(tl::Object("peerNotifySettings")));
      dialogs.push_back(std::move(dialog));
      messages.push_back(message_object(top, c.user_id));
      note_message(top, c.user_id, users, chats);
    }
    const bool whole = skipped == 0 && dialogs.size() == all.size();
    tl::Object answer(whole ? "messages.dialogs" : "messages.dialogsSlice");
    if (!whole) answer.set("count", tl::Value::i32(int32_t(all.size())));
    answer.set("dialogs", vec(std::move(dialogs)));
    answer.set("messages", vec(std::move(messages)));
    answer.set("chats", vec(chat_objects(model, chats, c.user_id)));
    answer.set("users", vec(user_objects(model, users, c.user_id)));
    return api::answer(c, answer);
  });
}

tl::Object affected(int32_t pts, int32_t pts_count) {
  tl::Object o("messages.affectedMessages");
  o.set("pts", tl::Value::i32(pts));
  o.set("pts_count", tl::Value::i32(pts_count));
  return o;
}

// Marks the dialog read up to max_id (0: all); a user peer learns which of its messages were
// read (in a chat only the reader's read state moves).
Bytes read_history(state::Store& store, const CallContext& c, const tl::Object& q) {
  std::optional<state::Event> mine_event;
  std::optional<state::Event> peer_event;
  int64_t peer_id = 0;
  Bytes result = store.write([&](state::Transaction& txn) {
    const state::Model& model = txn.model();
    auto peer = resolve_input_peer(model, c.user_id, object_field(q, "peer"));
    if (!peer) return error(400, "PEER_ID_INVALID");
    const state::Box& mine = *model.box(c.user_id);
    auto dialog = mine.dialogs.find(*peer);
    if (dialog == mine.dialogs.end()) return api::answer(c, affected(mine.pts, 0));
    int32_t max_id = int_field(q, "max_id");
    if (max_id <= 0 || max_id > dialog->second.top_message) max_id = dialog->second.top_message;
    if (max_id <= dialog->second.read_inbox_max_id) return api::answer(c, affected(mine.pts, 0));
    state::HistoryRead record{c.user_id, *peer, max_id, mine.pts + 1, 0, 0};
    if (*peer != c.user_id && !state::is_chat_peer(*peer)) {
      // The newest of the peer's messages (its ids) now read.
      for (int32_t id = max_id; id > 0 && record.peer_max_id == 0; --id) {
        const state::Message& m = *mine.message(id);
        if (m.peer == *peer && !m.out && !m.deleted) record.peer_max_id = m.peer_msg_id;
      }
      const state::Box& theirs = *model.box(*peer);
      auto outbox = theirs.dialogs.find(c.user_id);
      const int32_t read_before =
          outbox == theirs.dialogs.end() ? 0 : outbox->second.read_outbox_max_id;
      if (record.peer_max_id > read_before) {
        record.peer_pts = theirs.pts + 1;
      } else {
        record.peer_max_id = 0;
      }
    }
    txn.apply(record);
    mine_event = model.box(c.user_id)->events.back();
    if (record.peer_pts != 0) peer_event = model.box(*peer)->events.back();
    peer_id = *peer;
    return api::answer(c, affected(record.reader_pts, 1));
  });
  const int32_t date = unix_now(c);
  if (mine_event) push(c, c.user_id, update_short(event_update(*mine_event), date));
  if (peer_event) push(c, peer_id, update_short(event_update(*peer_event), date));
  return result;
}

tl::Object updates_of(tl::Object update, std::vector<tl::Object> users, int32_t date) {
  tl::Object o("updates");
  o.set("updates", vec({std::move(update)}));
  o.set("users", vec(std::move(users)));
  o.set("chats", vec({}));
  o.set("date", tl::Value::i32(date));
  o.set("seq", tl::Value::i32(0));
  return o;
}

// New text (and entities) for an outgoing message; the peer's copy changes too. Without
// `message` the text stays; given text without entities clears them.
Bytes edit_message(state::Store& store, const CallContext& c, const tl::Object& q) {
  const bool new_text = has_field(q, "message");
  const std::string text = string_field(q, "message");
  if (new_text && text.empty()) return error(400, "MESSAGE_EMPTY");
  if (utf16_length(text) > kMaxMessageLength) return error(400, "MESSAGE_TOO_LONG");
  const int32_t id = int_field(q, "id");
  const int32_t date = unix_now(c);
  std::optional<tl::Object> mine_update;
  std::optional<tl::Object> peer_update;
  int64_t peer_id = 0;
  Bytes result = store.write([&](state::Transaction& txn) {
    const state::Model& model = txn.model();
    auto peer = resolve_input_user(model, c.user_id, object_field(q, "peer"));
    if (!peer) return error(400, "PEER_ID_INVALID");
    const state::Message* m = model.box(c.user_id)->live_message(id);
    if (m == nullptr || m->peer != *peer) return error(400, "MESSAGE_ID_INVALID");
    if (!m->out) return error(403, "MESSAGE_AUTHOR_REQUIRED");
    state::MessageEdited edit{c.user_id,
                              id,
                              model.box(c.user_id)->pts + 1,
                              date,
                              new_text ? text : m->text,
                              new_text ? std::vector<state::Entity>{} : m->entities};
    if (const tl::Value::List* entities = vector_field(q, "entities")) {
      edit.entities = entities_from(*entities, [&](const tl::Object& input) {
        return resolve_input_user(model, c.user_id, &input).value_or(0);
      });
    }
    if (edit.text == m->text && edit.entities == m->entities) {
      return error(400, "MESSAGE_NOT_MODIFIED");
    }
    const int32_t peer_msg_id = m->peer_msg_id;
    txn.apply(edit);
    mine_update = edit_update(*model.box(c.user_id)->message(id), c.user_id, edit.pts);
    const state::Box& theirs = *model.box(*peer);
    if (peer_msg_id != 0 && theirs.live_message(peer_msg_id) != nullptr) {
      state::MessageEdited copy = edit;
      copy.owner = *peer;
      copy.msg_id = peer_msg_id;
      copy.pts = theirs.pts + 1;
      txn.apply(copy);
      peer_update = edit_update(*theirs.message(peer_msg_id), *peer, copy.pts);
      peer_id = *peer;
    }
    mine_update = updates_of(std::move(*mine_update),
                             user_objects(model, {c.user_id, *peer}, c.user_id), date);
    if (peer_update) {
      peer_update =
          updates_of(std::move(*peer_update), user_objects(model, {c.user_id, *peer}, *peer), date);
    }
    return api::answer(c, *mine_update);
  });
  if (mine_update) push(c, c.user_id, std::move(*mine_update));
  if (peer_update) push(c, peer_id, std::move(*peer_update));
  return result;
}

constexpr size_t kMaxDeleteIds = 100;  // ids per messages.deleteMessages

// Deletes messages of the caller's box; with `revoke` the peers' copies too. Ids that are not
// (or no longer) in the box are skipped.
Bytes delete_messages(state::Store& store, const CallContext& c, const tl::Object& q) {
  std::set<int32_t> ids;
  if (const tl::Value::List* list = vector_field(q, "id")) {
    for (const tl::Value& v : *list) {
      if (v.kind() == tl::Value::Kind::kInt) ids.insert(v.as_int());
    }
  }
  if (ids.size() > kMaxDeleteIds) return error(400, "LIMIT_INVALID");
  const bool revoke = has_field(q, "revoke");
  std::vector<state::Event> events;  // [0]: the caller's, then one per peer
  std::vector<int64_t> owners;
  Bytes result = store.write([&](state::Transaction& txn) {
    const state::Model& model = txn.model();
    const state::Box& mine = *model.box(c.user_id);
    state::MessagesDeleted own{c.user_id, {}, 0};
    std::map<int64_t, std::vector<int32_t>> theirs;
    for (int32_t id : ids) {
      const state::Message* m = mine.live_message(id);
      if (m == nullptr) continue;
      own.ids.push_back(id);
      if (revoke && m->peer != c.user_id && m->peer_msg_id != 0 &&
          model.box(m->peer)->live_message(m->peer_msg_id) != nullptr) {
        theirs[m->peer].push_back(m->peer_msg_id);
      }
    }
    if (own.ids.empty()) return api::answer(c, affected(mine.pts, 0));
    own.pts = mine.pts + int32_t(own.ids.size());
    txn.apply(own);
    events.push_back(model.box(c.user_id)->events.back());
    owners.push_back(c.user_id);
    for (auto& [peer, peer_ids] : theirs) {
      const int32_t pts = model.box(peer)->pts + int32_t(peer_ids.size());
      txn.apply(state::MessagesDeleted{peer, std::move(peer_ids), pts});
      events.push_back(model.box(peer)->events.back());
      owners.push_back(peer);
    }
    return api::answer(c, affected(own.pts, int32_t(own.ids.size())));
  });
  const int32_t date = unix_now(c);
  for (size_t i = 0; i < events.size(); ++i) {
    push(c, owners[i], update_short(event_update(events[i]), date));
  }
  return result;
}

}  // namespace

void add_messages_methods(api::Dispatcher& dispatcher, std::shared_ptr<state::Store> store) {
  auto flood = std::make_shared<FloodLimit>(dispatcher.config().messages_per_second,
                                            dispatcher.config().message_burst);
  add(dispatcher, "messages.sendMessage",
      [store, flood](const CallContext& c, const tl::Object& q) {
        return send_message(*store, *flood, c, q);
      });
  add(dispatcher, "messages.getHistory",
      [store](const CallContext& c, const tl::Object& q) { return get_history(*store, c, q); });
  add(dispatcher, "messages.getDialogs",
      [store](const CallContext& c, const tl::Object& q) { return get_dialogs(*store, c, q); });
  add(dispatcher, "messages.readHistory",
      [store](const CallContext& c, const tl::Object& q) { return read_history(*store, c, q); });
  add(dispatcher, "messages.editMessage",
      [store](const CallContext& c, const tl::Object& q) { return edit_message(*store, c, q); });
  add(dispatcher, "messages.deleteMessages",
      [store](const CallContext& c, const tl::Object& q) { return delete_messages(*store, c, q); });
}

}  // namespace mtedge::backend::embedded::biz
