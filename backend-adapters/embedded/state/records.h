// The messenger's mutations as records: every change to the in-memory model (state/model.h) is
// one of these, applied by Model::apply. A record carries every value the change needs,
// ids and counters included (the writer picks them from the model under the store's lock), so
// applying the same records in the same order rebuilds the same model. encode()/decode() give
// each record a self-contained byte form for an append-only log.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace mtedge::backend::embedded::state {

// One message entity (bold, url, mention name, ...), layer-neutral: the TL constructor name,
// its offset and length, and its other scalar fields by name (url, language, user_id, ...).
struct EntityField {
  enum class Kind : uint8_t { kInt = 1, kLong = 2, kString = 3, kTrue = 4 };
  std::string name;
  Kind kind = Kind::kInt;
  int64_t number = 0;  // kInt, kLong
  std::string text;    // kString
  bool operator==(const EntityField&) const = default;
};
struct Entity {
  std::string type;  // "messageEntityBold"
  int32_t offset = 0;
  int32_t length = 0;
  std::vector<EntityField> fields;
  bool operator==(const Entity&) const = default;
};

// auth.sendCode: a login code for `phone`, valid until `expires` (unix seconds).
struct CodeSent {
  std::string phone;
  std::string hash;
  std::string code;
  int32_t expires = 0;
  bool operator==(const CodeSent&) const = default;
};
// A login code was used up (sign-in or sign-up succeeded).
struct CodeUsed {
  std::string phone;
  bool operator==(const CodeUsed&) const = default;
};
struct UserCreated {
  int64_t user_id = 0;
  std::string phone;
  std::string first_name;
  std::string last_name;
  uint64_t access_secret = 0;  // keys the user's per-viewer access hashes
  int32_t date = 0;
  bool operator==(const UserCreated&) const = default;
};
struct KeyBound {
  uint64_t auth_key_id = 0;
  int64_t user_id = 0;
  bool operator==(const KeyBound&) const = default;
};
struct KeyUnbound {
  uint64_t auth_key_id = 0;
  bool operator==(const KeyUnbound&) const = default;
};
struct ProfileSet {
  int64_t user_id = 0;
  std::string first_name;
  std::string last_name;
  std::string about;
  bool operator==(const ProfileSet&) const = default;
};
// `username` empty: the user has none any more.
struct UsernameSet {
  int64_t user_id = 0;
  std::string username;
  bool operator==(const UsernameSet&) const = default;
};
struct ContactAdded {
  int64_t owner = 0;
  int64_t contact = 0;
  std::string first_name;
  std::string last_name;
  bool operator==(const ContactAdded&) const = default;
};
// A 1:1 message: message `from_msg_id` in the sender's box (pts `from_pts`) and `to_msg_id`
// in the recipient's (pts `to_pts`). A message to oneself has one copy (to_* unused).
struct MessageSent {
  int64_t from = 0;
  int64_t to = 0;
  int64_t random_id = 0;
  int32_t date = 0;
  std::string text;
  std::vector<Entity> entities;
  int32_t from_msg_id = 0;
  int32_t from_pts = 0;
  int32_t to_msg_id = 0;
  int32_t to_pts = 0;
  bool operator==(const MessageSent&) const = default;
};
// `reader` read its dialog with `peer` up to `max_id` (its box; pts `reader_pts`); `peer` learns
// its outgoing messages up to `peer_max_id` (its box) were read (pts `peer_pts`; 0: no change
// on its side, always so for a chat, `peer` = chat_peer(chat id) of state/model.h).
struct HistoryRead {
  int64_t reader = 0;
  int64_t peer = 0;
  int32_t max_id = 0;
  int32_t reader_pts = 0;
  int32_t peer_max_id = 0;
  int32_t peer_pts = 0;
  bool operator==(const HistoryRead&) const = default;
};

// Basic groups (docs/backends/embedded.md, "Basic groups"). A chat's id is its own sequence
// (not a user id); a member's box keys the chat's dialog as -chat_id.
//
// `chat_id` was made by `creator` at `date`; `members` are its first members, the creator first.
struct ChatCreated {
  int64_t chat_id = 0;
  int64_t creator = 0;
  std::string title;
  int32_t date = 0;
  std::vector<int64_t> members;
  bool operator==(const ChatCreated&) const = default;
};
// `inviter` added `user_id` to `chat_id` at `date`.
struct ChatUserAdded {
  int64_t chat_id = 0;
  int64_t user_id = 0;
  int64_t inviter = 0;
  int32_t date = 0;
  bool operator==(const ChatUserAdded&) const = default;
};
// `user_id` is no longer a member of `chat_id`: removed by another member (`kicked`), or it left.
struct ChatUserRemoved {
  int64_t chat_id = 0;
  int64_t user_id = 0;
  bool kicked = false;
  bool operator==(const ChatUserRemoved&) const = default;
};
struct ChatTitleSet {
  int64_t chat_id = 0;
  std::string title;
  bool operator==(const ChatTitleSet&) const = default;
};
// What a service message in a chat announces (kNone: an ordinary message).
struct ChatAction {
  enum class Kind : int32_t {
    kNone = 0,
    kCreate = 1,
    kAddUser = 2,
    kDeleteUser = 3,
    kEditTitle = 4
  };
  Kind kind = Kind::kNone;
  std::string title;           // kCreate, kEditTitle
  std::vector<int64_t> users;  // kCreate, kAddUser: who joined; kDeleteUser: who went
  bool operator==(const ChatAction&) const = default;
};
// One member's copy of a chat message: its id and the pts after it in that member's box.
struct ChatCopy {
  int64_t user_id = 0;
  int32_t msg_id = 0;
  int32_t pts = 0;
  bool operator==(const ChatCopy&) const = default;
};
// One message in a chat from `from`: a copy in the box of every member at the time, all in
// this one record, so every member sees the chat's messages in the same order.
struct ChatMessageSent {
  int64_t chat_id = 0;
  int64_t from = 0;
  int64_t random_id = 0;
  int32_t date = 0;
  std::string text;
  std::vector<Entity> entities;
  ChatAction action;
  std::vector<ChatCopy> copies;
  bool operator==(const ChatMessageSent&) const = default;
};

// Message `msg_id` of `owner`'s box has new text and entities (the box's pts becomes `pts`).
struct MessageEdited {
  int64_t owner = 0;
  int32_t msg_id = 0;
  int32_t pts = 0;
  int32_t edit_date = 0;
  std::string text;
  std::vector<Entity> entities;
  bool operator==(const MessageEdited&) const = default;
};
// Messages `ids` of `owner`'s box are gone; the box's pts advances by ids.size() to `pts`.
struct MessagesDeleted {
  int64_t owner = 0;
  std::vector<int32_t> ids;
  int32_t pts = 0;
  bool operator==(const MessagesDeleted&) const = default;
};
// `owner` blocked `peer` at `date`: the peer's messages no longer reach the owner's box.
struct PeerBlocked {
  int64_t owner = 0;
  int64_t peer = 0;
  int32_t date = 0;
  bool operator==(const PeerBlocked&) const = default;
};
struct PeerUnblocked {
  int64_t owner = 0;
  int64_t peer = 0;
  bool operator==(const PeerUnblocked&) const = default;
};

// Snapshot records (state/snapshot.cc): a compacted log rebuilds the model from these and the
// records above, never through the history that made it. A box (created if missing) gets its
// pts; then its messages in id order, each with the random_id it was sent with (0: none or
// incoming); its events in pts order; its dialogs as they stand. A chat comes back whole.
struct SnapshotBox {
  int64_t owner = 0;
  int32_t pts = 0;
  bool operator==(const SnapshotBox&) const = default;
};
struct SnapshotMessage {
  int64_t owner = 0;
  int32_t id = 0;  // must be the box's next message id
  int64_t peer = 0;
  int32_t out = 0;  // 1: the owner sent it
  int32_t date = 0;
  std::string text;
  std::vector<Entity> entities;
  int32_t pts = 0;
  int32_t peer_msg_id = 0;
  int64_t random_id = 0;
  int64_t from = 0;       // chat messages: the sender
  ChatAction action;      // chat service messages
  int32_t edit_date = 0;  // 0: never edited
  bool deleted = false;
  bool operator==(const SnapshotMessage&) const = default;
};
struct SnapshotEvent {
  int64_t owner = 0;
  int32_t kind = 0;  // Event::Kind
  int32_t pts = 0;
  int32_t msg_id = 0;
  int64_t peer = 0;
  int32_t max_id = 0;
  int32_t still_unread = 0;
  std::vector<int32_t> ids;  // kDeleteMessages
  bool operator==(const SnapshotEvent&) const = default;
};
struct SnapshotDialog {
  int64_t owner = 0;
  int64_t peer = 0;
  int32_t top_message = 0;
  int32_t read_inbox_max_id = 0;
  int32_t read_outbox_max_id = 0;
  int32_t unread_count = 0;
  bool operator==(const SnapshotDialog&) const = default;
};
// A chat as it stands: its members in joining order (with who added them and when), the
// users another member removed, its version.
struct SnapshotChatMember {
  int64_t user_id = 0;
  int64_t inviter = 0;
  int32_t date = 0;
  bool operator==(const SnapshotChatMember&) const = default;
};
struct SnapshotChat {
  int64_t chat_id = 0;
  std::string title;
  int64_t creator = 0;
  int32_t date = 0;
  int32_t version = 0;
  std::vector<SnapshotChatMember> members;
  std::vector<int64_t> kicked;
  bool operator==(const SnapshotChat&) const = default;
};

// New record types go at the end (the tag is the index + 1 and is stored in logs); each one
// that adds model state needs its snapshot form (state/snapshot.cc).
using Record = std::variant<CodeSent, CodeUsed, UserCreated, KeyBound, KeyUnbound, ProfileSet,
                            UsernameSet, ContactAdded, MessageSent, HistoryRead, ChatCreated,
                            ChatUserAdded, ChatUserRemoved, ChatTitleSet, ChatMessageSent,
                            MessageEdited, MessagesDeleted, PeerBlocked, PeerUnblocked, SnapshotBox,
                            SnapshotMessage, SnapshotEvent, SnapshotDialog, SnapshotChat>;

// The byte form: one tag byte (the variant index + 1), then the fields in TL encoding.
Bytes encode(const Record& record);
// Parses one record (the whole of `bytes`); anything else (unknown tag, short or trailing
// bytes, more than 4096 items in any list) is an error.
Result<Record> decode(ByteView bytes);

}  // namespace mtedge::backend::embedded::state
