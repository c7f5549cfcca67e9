#include "backend-adapters/embedded/biz/common.h"

#include <fmt/format.h>

namespace mtedge::backend::embedded::biz {

using Kind = tl::Value::Kind;

void add(api::Dispatcher& dispatcher, std::string method, ObjectHandler handler) {
  dispatcher.add(std::move(method), [handler = std::move(handler)](const CallContext& context,
                                                                   ByteView query) {
    auto parsed = api::parse_query(context, query);
    if (!parsed) {
      return api::rpc_error(400, fmt::format("INPUT_REQUEST_INVALID: {}", parsed.message()));
    }
    return handler(context, parsed.value());
  });
}

namespace {
const tl::Value* typed(const tl::Object& o, std::string_view name, Kind kind) {
  const tl::Value* v = o.get(name);
  return v != nullptr && v->kind() == kind ? v : nullptr;
}
}  // namespace

int32_t int_field(const tl::Object& o, std::string_view name) {
  const tl::Value* v = typed(o, name, Kind::kInt);
  return v ? v->as_int() : 0;
}
int64_t long_field(const tl::Object& o, std::string_view name) {
  const tl::Value* v = typed(o, name, Kind::kLong);
  return v ? v->as_long() : 0;
}
std::string string_field(const tl::Object& o, std::string_view name) {
  const tl::Value* v = typed(o, name, Kind::kString);
  return v ? v->as_string() : std::string();
}
bool has_field(const tl::Object& o, std::string_view name) {
  return o.get(name) != nullptr;
}
const tl::Object* object_field(const tl::Object& o, std::string_view name) {
  const tl::Value* v = typed(o, name, Kind::kObject);
  return v ? &v->as_object() : nullptr;
}
const tl::Value::List* vector_field(const tl::Object& o, std::string_view name) {
  const tl::Value* v = typed(o, name, Kind::kVector);
  return v ? &v->as_vector() : nullptr;
}

tl::Value obj(tl::Object o) {
  return tl::Value::object(std::move(o));
}
tl::Value vec(std::vector<tl::Object> items) {
  tl::Value::List list;
  for (tl::Object& item : items) list.push_back(obj(std::move(item)));
  return tl::Value::vector(std::move(list));
}
tl::Object peer_user(int64_t user_id) {
  return tl::Object("peerUser").set("user_id", tl::Value::i64(user_id));
}
tl::Object peer_object(int64_t peer) {
  if (!state::is_chat_peer(peer)) return peer_user(peer);
  return tl::Object("peerChat").set("chat_id", tl::Value::i64(-peer));
}
int32_t unix_now(const CallContext& context) {
  return static_cast<int32_t>(context.now);
}

Bytes error(int32_t code, std::string_view message) {
  return api::rpc_error(code, message);
}

tl::Object user_object(const state::Model& model, const state::User& user, int64_t viewer) {
  const state::Box* viewer_box = model.box(viewer);
  const state::Box* user_box = model.box(user.id);
  const bool self = user.id == viewer;
  const state::Contact* contact = nullptr;
  if (viewer_box) {
    auto it = viewer_box->contacts.find(user.id);
    if (it != viewer_box->contacts.end()) contact = &it->second;
  }
  const bool mutual = contact && user_box && user_box->contacts.contains(viewer);
  tl::Object o("user");
  if (self) o.set("self", tl::Value::boolean(true));
  if (contact) o.set("contact", tl::Value::boolean(true));
  if (mutual) o.set("mutual_contact", tl::Value::boolean(true));
  o.set("id", tl::Value::i64(user.id));
  o.set("access_hash", tl::Value::i64(state::Model::access_hash(user, viewer)));
  // A contact is shown under the name its viewer saved it with.
  const bool saved_name = contact && !contact->first_name.empty();
  o.set("first_name", tl::Value::str(saved_name ? contact->first_name : user.first_name));
  const std::string& last = saved_name ? contact->last_name : user.last_name;
  if (!last.empty()) o.set("last_name", tl::Value::str(last));
  if (!user.username.empty()) o.set("username", tl::Value::str(user.username));
  if (self || contact) o.set("phone", tl::Value::str(user.phone));
  o.set("status", obj(status_object(model, user.id)));
  return o;
}

tl::Object status_object(const state::Model& model, int64_t user_id) {
  const state::Presence::Status status =
      model.presence() ? model.presence()->status(user_id) : state::Presence::Status{};
  if (!status.known) return tl::Object("userStatusRecently");
  if (status.online_until > 0) {
    return tl::Object("userStatusOnline").set("expires", tl::Value::i32(status.online_until));
  }
  return tl::Object("userStatusOffline").set("was_online", tl::Value::i32(status.was_online));
}

std::vector<tl::Object> user_objects(const state::Model& model, const std::set<int64_t>& ids,
                                     int64_t viewer) {
  std::vector<tl::Object> out;
  for (int64_t id : ids) {
    if (const state::User* u = model.user(id)) out.push_back(user_object(model, *u, viewer));
  }
  return out;
}

namespace {
tl::Value ids_value(const std::vector<int64_t>& ids) {
  tl::Value::List list;
  for (int64_t id : ids) list.push_back(tl::Value::i64(id));
  return tl::Value::vector(std::move(list));
}

tl::Object action_object(const state::ChatAction& action) {
  using Kind = state::ChatAction::Kind;
  switch (action.kind) {
    case Kind::kCreate:
      return tl::Object("messageActionChatCreate")
          .set("title", tl::Value::str(action.title))
          .set("users", ids_value(action.users));
    case Kind::kAddUser:
      return tl::Object("messageActionChatAddUser").set("users", ids_value(action.users));
    case Kind::kDeleteUser:
      return tl::Object("messageActionChatDeleteUser")
          .set("user_id", tl::Value::i64(action.users.empty() ? 0 : action.users[0]));
    case Kind::kEditTitle:
      return tl::Object("messageActionChatEditTitle").set("title", tl::Value::str(action.title));
    case Kind::kNone: break;
  }
  return tl::Object("messageActionEmpty");
}
}  // namespace

tl::Object message_object(const state::Message& m, int64_t owner) {
  const bool chat = state::is_chat_peer(m.peer);
  const bool service = chat && m.action.kind != state::ChatAction::Kind::kNone;
  tl::Object o(service ? "messageService" : "message");
  if (m.out) o.set("out", tl::Value::boolean(true));
  o.set("id", tl::Value::i32(m.id));
  o.set("from_id", obj(peer_user(chat ? m.from : m.out ? owner : m.peer)));
  o.set("peer_id", obj(peer_object(m.peer)));
  o.set("date", tl::Value::i32(m.date));
  if (service) {
    o.set("action", obj(action_object(m.action)));
    return o;
  }
  o.set("message", tl::Value::str(m.text));
  if (!m.entities.empty()) o.set("entities", entities_value(m.entities));
  if (m.edit_date != 0) o.set("edit_date", tl::Value::i32(m.edit_date));
  return o;
}

tl::Object edit_update(const state::Message& m, int64_t owner, int32_t pts) {
  tl::Object o("updateEditMessage");
  o.set("message", obj(message_object(m, owner)));
  o.set("pts", tl::Value::i32(pts));
  o.set("pts_count", tl::Value::i32(1));
  return o;
}

tl::Object short_message_update(const state::Message& m) {
  const bool chat = state::is_chat_peer(m.peer);
  tl::Object o(chat ? "updateShortChatMessage" : "updateShortMessage");
  if (m.out) o.set("out", tl::Value::boolean(true));
  o.set("id", tl::Value::i32(m.id));
  if (chat) {
    o.set("from_id", tl::Value::i64(m.from));
    o.set("chat_id", tl::Value::i64(-m.peer));
  } else {
    o.set("user_id", tl::Value::i64(m.peer));
  }
  o.set("message", tl::Value::str(m.text));
  o.set("pts", tl::Value::i32(m.pts));
  o.set("pts_count", tl::Value::i32(1));
  o.set("date", tl::Value::i32(m.date));
  if (!m.entities.empty()) o.set("entities", entities_value(m.entities));
  return o;
}

void note_message(const state::Message& m, int64_t owner, std::set<int64_t>& users,
                  std::set<int64_t>& chats) {
  users.insert(owner);
  if (!state::is_chat_peer(m.peer)) {
    users.insert(m.peer);
    return;
  }
  chats.insert(-m.peer);
  users.insert(m.from);
  users.insert(m.action.users.begin(), m.action.users.end());
}

tl::Object chat_object(const state::Chat& chat, int64_t viewer) {
  if (chat.kicked.contains(viewer)) {
    return tl::Object("chatForbidden")
        .set("id", tl::Value::i64(chat.id))
        .set("title", tl::Value::str(chat.title));
  }
  tl::Object o("chat");
  if (chat.creator == viewer) o.set("creator", tl::Value::boolean(true));
  if (!chat.is_member(viewer)) o.set("left", tl::Value::boolean(true));
  o.set("id", tl::Value::i64(chat.id));
  o.set("title", tl::Value::str(chat.title));
  o.set("photo", obj(tl::Object("chatPhotoEmpty")));
  o.set("participants_count", tl::Value::i32(int32_t(chat.members.size())));
  o.set("date", tl::Value::i32(chat.date));
  o.set("version", tl::Value::i32(chat.version));
  return o;
}

std::vector<tl::Object> chat_objects(const state::Model& model, const std::set<int64_t>& ids,
                                     int64_t viewer) {
  std::vector<tl::Object> out;
  for (int64_t id : ids) {
    if (const state::Chat* chat = model.chat(id)) out.push_back(chat_object(*chat, viewer));
  }
  return out;
}

tl::Object event_update(const state::Event& event) {
  if (event.kind == state::Event::Kind::kDeleteMessages) {
    tl::Value::List ids;
    for (int32_t id : event.ids) ids.push_back(tl::Value::i32(id));
    tl::Object o("updateDeleteMessages");
    o.set("messages", tl::Value::vector(std::move(ids)));
    o.set("pts", tl::Value::i32(event.pts));
    o.set("pts_count", tl::Value::i32(event.pts_count()));
    return o;
  }
  const bool inbox = event.kind == state::Event::Kind::kReadInbox;
  tl::Object o(inbox ? "updateReadHistoryInbox" : "updateReadHistoryOutbox");
  o.set("peer", obj(peer_object(event.peer)));
  o.set("max_id", tl::Value::i32(event.max_id));
  if (inbox) o.set("still_unread_count", tl::Value::i32(event.still_unread));
  o.set("pts", tl::Value::i32(event.pts));
  o.set("pts_count", tl::Value::i32(1));
  return o;
}

std::vector<state::Entity> entities_from(
    const tl::Value::List& list, const std::function<int64_t(const tl::Object&)>& resolve_user) {
  std::vector<state::Entity> out;
  for (const tl::Value& item : list) {
    if (item.kind() != Kind::kObject) continue;
    const tl::Object& o = item.as_object();
    state::Entity e;
    e.type = o.name;
    e.offset = int_field(o, "offset");
    e.length = int_field(o, "length");
    if (o.name == "inputMessageEntityMentionName") {
      const tl::Object* input = object_field(o, "user_id");
      int64_t user_id = input ? resolve_user(*input) : 0;
      if (user_id == 0) continue;
      e.type = "messageEntityMentionName";
      e.fields.push_back({"user_id", state::EntityField::Kind::kLong, user_id, {}});
      out.push_back(std::move(e));
      continue;
    }
    for (const auto& [name, value] : o.fields) {
      if (name == "offset" || name == "length") continue;
      state::EntityField f{name, state::EntityField::Kind::kInt, 0, {}};
      switch (value.kind()) {
        case Kind::kInt: f.number = value.as_int(); break;
        case Kind::kLong:
          f.kind = state::EntityField::Kind::kLong;
          f.number = value.as_long();
          break;
        case Kind::kString:
          f.kind = state::EntityField::Kind::kString;
          f.text = value.as_string();
          break;
        case Kind::kBool:
          if (!value.as_bool()) continue;
          f.kind = state::EntityField::Kind::kTrue;
          break;
        default: continue;
      }
      e.fields.push_back(std::move(f));
    }
    out.push_back(std::move(e));
  }
  return out;
}

tl::Value entities_value(const std::vector<state::Entity>& entities) {
  tl::Value::List list;
  for (const state::Entity& e : entities) {
    tl::Object o(e.type);
    o.set("offset", tl::Value::i32(e.offset));
    o.set("length", tl::Value::i32(e.length));
    for (const state::EntityField& f : e.fields) {
      switch (f.kind) {
        case state::EntityField::Kind::kInt:
          o.set(f.name, tl::Value::i32(int32_t(f.number)));
          break;
        case state::EntityField::Kind::kLong: o.set(f.name, tl::Value::i64(f.number)); break;
        case state::EntityField::Kind::kString: o.set(f.name, tl::Value::str(f.text)); break;
        case state::EntityField::Kind::kTrue: o.set(f.name, tl::Value::boolean(true)); break;
      }
    }
    list.push_back(obj(std::move(o)));
  }
  return tl::Value::vector(std::move(list));
}

std::optional<int64_t> resolve_input_user(const state::Model& model, int64_t viewer,
                                          const tl::Object* input) {
  if (input == nullptr) return std::nullopt;
  if (input->name == "inputUserSelf" || input->name == "inputPeerSelf") return viewer;
  if (input->name != "inputUser" && input->name != "inputPeerUser") return std::nullopt;
  const state::User* user = model.user(long_field(*input, "user_id"));
  if (user == nullptr) return std::nullopt;
  if (user->id != viewer &&
      long_field(*input, "access_hash") != state::Model::access_hash(*user, viewer)) {
    return std::nullopt;
  }
  return user->id;
}

bool knows_chat(const state::Model& model, const state::Chat& chat, int64_t viewer) {
  if (chat.is_member(viewer)) return true;
  const state::Box* box = model.box(viewer);
  return box != nullptr && box->dialogs.contains(state::chat_peer(chat.id));
}

std::optional<int64_t> resolve_input_peer(const state::Model& model, int64_t viewer,
                                          const tl::Object* input) {
  if (input == nullptr || input->name != "inputPeerChat") {
    return resolve_input_user(model, viewer, input);
  }
  const state::Chat* chat = model.chat(long_field(*input, "chat_id"));
  if (chat == nullptr || !knows_chat(model, *chat, viewer)) return std::nullopt;
  return state::chat_peer(chat->id);
}

void push(const CallContext& c, int64_t user_id, tl::Object updates) {
  if (c.pushes == nullptr) return;
  c.pushes->push_back(api::Push{user_id, c.auth_key_id, c.session_id, std::move(updates)});
}

std::string normalize_phone(std::string_view phone) {
  std::string digits;
  for (size_t i = 0; i < phone.size(); ++i) {
    char c = phone[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (!(c == ' ' || c == '-' || (c == '+' && i == 0))) {
      return "";
    }
  }
  return digits.size() >= 5 && digits.size() <= 15 ? digits : "";
}

size_t utf16_length(std::string_view utf8) {
  size_t units = 0;
  for (size_t i = 0; i < utf8.size(); ++i) {
    const auto c = static_cast<uint8_t>(utf8[i]);
    if ((c & 0xc0) == 0x80) continue;  // continuation byte
    units += c >= 0xf0 ? 2 : 1;        // 4-byte sequences are surrogate pairs
  }
  return units;
}

}  // namespace mtedge::backend::embedded::biz
