// What the method areas share: query parsing, the TL objects for users, peers and messages as
// a given viewer sees them, and resolving Input* objects (access hashes checked).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "backend-adapters/embedded/api/answer.h"
#include "backend-adapters/embedded/api/dispatcher.h"
#include "backend-adapters/embedded/state/store.h"
#include "mtproto/tl/schema_value.h"

namespace mtedge::backend::embedded::biz {

namespace tl = mtproto::tl;
using api::CallContext;

// A handler that gets its query parsed (a malformed one is answered 400 before it runs).
using ObjectHandler = std::function<Bytes(const CallContext&, const tl::Object& query)>;
void add(api::Dispatcher& dispatcher, std::string method, ObjectHandler handler);

// Field readers for parsed queries (absent or mistyped fields read as 0 / "" / nullptr).
int32_t int_field(const tl::Object& o, std::string_view name);
int64_t long_field(const tl::Object& o, std::string_view name);
std::string string_field(const tl::Object& o, std::string_view name);
bool has_field(const tl::Object& o, std::string_view name);
const tl::Object* object_field(const tl::Object& o, std::string_view name);
const tl::Value::List* vector_field(const tl::Object& o, std::string_view name);

tl::Value obj(tl::Object o);
tl::Value vec(std::vector<tl::Object> items);
tl::Object peer_user(int64_t user_id);
// peerUser, or peerChat for a chat_peer() key.
tl::Object peer_object(int64_t peer);
int32_t unix_now(const CallContext& context);

// `user` as `viewer` sees it: its access hash for the viewer, `self` for the viewer itself,
// the phone for itself and for viewers that have it as a contact, contact flags.
tl::Object user_object(const state::Model& model, const state::User& user, int64_t viewer);
// How `model`'s presence shows `user_id` (userStatusOnline / Offline / Recently).
tl::Object status_object(const state::Model& model, int64_t user_id);
// user_object() of every id in `ids` that exists.
std::vector<tl::Object> user_objects(const state::Model& model, const std::set<int64_t>& ids,
                                     int64_t viewer);
// A message of `owner`'s box as `message` (1:1: peer_id is the other user, from_id the sender;
// chats: peer_id is peerChat; a chat service message as messageService).
tl::Object message_object(const state::Message& message, int64_t owner);
// A new message as its owner's sessions are told of it: updateShortMessage (1:1: user_id is
// the other user) or updateShortChatMessage (from_id, chat_id), `out` for its sender.
tl::Object short_message_update(const state::Message& message);
// The users and chats a message names (its peer, sender, the users of its action), for the
// `users` and `chats` vectors that travel with it.
void note_message(const state::Message& message, int64_t owner, std::set<int64_t>& users,
                  std::set<int64_t>& chats);
// `chat` as `viewer` sees it: `chat` (creator flag for its creator) for a member, `chat` with
// `left` for one that left, chatForbidden for one that was removed.
tl::Object chat_object(const state::Chat& chat, int64_t viewer);
// chat_object() of every id in `ids` that exists.
std::vector<tl::Object> chat_objects(const state::Model& model, const std::set<int64_t>& ids,
                                     int64_t viewer);
// The update a read or delete event of a box was announced with (updateReadHistoryInbox /
// Outbox, updateDeleteMessages).
tl::Object event_update(const state::Event& event);
// updateEditMessage for message `m` of `owner`'s box, announced at `pts`.
tl::Object edit_update(const state::Message& m, int64_t owner, int32_t pts);
// Entities: the layer-neutral form (state::Entity) from a query's Vector<MessageEntity>
// (inputMessageEntityMentionName resolved through `resolve_user`), and back.
std::vector<state::Entity> entities_from(
    const tl::Value::List& list, const std::function<int64_t(const tl::Object&)>& resolve_user);
tl::Value entities_value(const std::vector<state::Entity>& entities);

// The user an InputUser / InputPeer names for `viewer`: self, or a user whose access hash
// for the viewer matches. nullopt: unknown user, wrong hash, or not a user.
std::optional<int64_t> resolve_input_user(const state::Model& model, int64_t viewer,
                                          const tl::Object* input);
// The dialog an InputPeer names for `viewer`: a user as resolve_input_user, or
// state::chat_peer(id) for inputPeerChat of a chat the viewer is or was a member of.
std::optional<int64_t> resolve_input_peer(const state::Model& model, int64_t viewer,
                                          const tl::Object* input);
// True if `viewer` is or was a member of `chat` (its box has the chat's dialog).
bool knows_chat(const state::Model& model, const state::Chat& chat, int64_t viewer);

// Leaves `updates` for every session of `user_id` except the calling one.
void push(const CallContext& c, int64_t user_id, tl::Object updates);

// A phone number as digits only: 5..15 digits after an optional '+', spaces and dashes
// ignored; "" if it is not one.
std::string normalize_phone(std::string_view phone);

// Length in UTF-16 code units (how Telegram measures text and entity offsets).
size_t utf16_length(std::string_view utf8);

// Common errors.
Bytes error(int32_t code, std::string_view message);

}  // namespace mtedge::backend::embedded::biz
