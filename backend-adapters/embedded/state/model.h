// The messenger's in-memory model: users, auth key -> user bindings, phones, usernames,
// The messenger's in-memory model: users, auth key -> user bindings, phones, usernames,
// contacts, basic groups (chats), and per user a message box (its own message ids, one pts
// sequence, the events that advanced it, dialogs with read state, random_id dedupe, blocked
// peers). Changed only by apply(record) (state/records.h); everything else is a read. Online
// status is not part of it: the model reads the Presence its Store attached. Not thread-safe:
// state/store.h guards it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "backend-adapters/embedded/state/presence.h"
#include "backend-adapters/embedded/state/records.h"

namespace mtedge::backend::embedded::state {

struct User {
  int64_t id = 0;
  std::string phone;  // digits only
  std::string first_name;
  std::string last_name;
  std::string about;
  std::string username;  // as the user spelled it; "" = none
  uint64_t access_secret = 0;
  int32_t date = 0;
  bool operator==(const User&) const = default;
};

struct Contact {
  int64_t user_id = 0;
  std::string first_name;  // as the owner saved it
  std::string last_name;
  bool operator==(const Contact&) const = default;
};

// A box's dialog key for a chat: box dialogs and message peers name a user by its id and a
// basic group by the negated chat id.
constexpr int64_t chat_peer(int64_t chat_id) {
  return -chat_id;
}
constexpr bool is_chat_peer(int64_t peer) {
  return peer < 0;
}

// One message as its owner's box holds it.
struct Message {
  int32_t id = 0;
  int64_t peer = 0;  // the other user (the owner itself for saved messages); chat_peer(chat)
  bool out = false;  // the owner sent it
  int32_t date = 0;
  std::string text;
  std::vector<Entity> entities;
  int32_t pts = 0;          // the owner's pts after this message
  int32_t peer_msg_id = 0;  // the same message's id in the peer's box (0: saved messages,
                            // chats, or the peer blocked the sender and never got it)
  int64_t from = 0;         // chat messages: the sender
  ChatAction action;        // chat service messages: what they announce
  int32_t edit_date = 0;    // 0: never edited
  bool deleted = false;     // deleted from this box (its id stays taken, its text is dropped)
  bool operator==(const Message&) const = default;
};

struct ChatMember {
  int64_t user_id = 0;
  int64_t inviter = 0;  // the creator for itself
  int32_t date = 0;
  bool operator==(const ChatMember&) const = default;
};

// A basic group. Members join in order; a member that goes is `kicked` (removed by another)
// or left. Every change of title or members bumps the version.
struct Chat {
  int64_t id = 0;
  std::string title;
  int64_t creator = 0;
  int32_t date = 0;
  int32_t version = 1;
  std::vector<ChatMember> members;
  std::set<int64_t> kicked;

  bool is_member(int64_t user_id) const;
  bool operator==(const Chat&) const = default;
};

struct Dialog {
  int64_t peer = 0;  // a user id, or chat_peer(chat id)
  int32_t top_message = 0;
  int32_t read_inbox_max_id = 0;
  int32_t read_outbox_max_id = 0;
  int32_t unread_count = 0;
  bool operator==(const Dialog&) const = default;
};

// What advanced a box's pts (updates.getDifference replays these).
struct Event {
  enum class Kind { kNewMessage, kReadInbox, kReadOutbox, kEditMessage, kDeleteMessages };
  Kind kind = Kind::kNewMessage;
  int32_t pts = 0;             // the box's pts after the event
  int32_t msg_id = 0;          // kNewMessage, kEditMessage
  int64_t peer = 0;            // kRead*
  int32_t max_id = 0;          // kRead*
  int32_t still_unread = 0;    // kReadInbox
  std::vector<int32_t> ids{};  // kDeleteMessages
  int32_t pts_count() const { return kind == Kind::kDeleteMessages ? int32_t(ids.size()) : 1; }
  bool operator==(const Event&) const = default;
};

struct Box {
  static constexpr int32_t kInitialPts = 1;
  int32_t pts = kInitialPts;
  std::vector<Message> messages;  // messages[i].id == i + 1
  std::vector<Event> events;      // ascending pts
  std::map<int64_t, Dialog> dialogs;
  std::unordered_map<int64_t, int32_t> sent_by_random_id;  // outgoing message id
  std::map<int64_t, Contact> contacts;
  std::map<int64_t, int32_t> blocked;  // peer -> when it was blocked

  int32_t next_msg_id() const { return int32_t(messages.size()) + 1; }
  // The message with this id, deleted ones included (check Message::deleted).
  const Message* message(int32_t id) const;
  // The message with this id unless it is deleted.
  const Message* live_message(int32_t id) const;
  // Incoming messages from `peer` with an id above `max_id` (not deleted).
  int32_t unread_from(int64_t peer, int32_t max_id) const;
  bool operator==(const Box&) const = default;
};

class Model {
 public:
  void apply(const Record& record);
  // Emits records that, applied in order to an empty model, give a model equal to this one
  // (state/snapshot.cc): what a compacted log starts with.
  void snapshot(const std::function<void(const Record&)>& emit) const;
  // Every part compared (equal models answer every read alike).
  bool operator==(const Model&) const = default;

  const User* user(int64_t id) const;
  const User* user_by_phone(std::string_view phone) const;
  const User* user_by_username(std::string_view username) const;  // case-insensitive
  int64_t user_of_key(uint64_t auth_key_id) const;                // 0: not signed in
  std::vector<uint64_t> keys_of(int64_t user_id) const;
  // The users that saved `user_id` as a contact (who see its online status).
  std::vector<int64_t> saved_by(int64_t user_id) const;
  const Box* box(int64_t user_id) const;
  const CodeSent* code(std::string_view phone) const;
  int64_t next_user_id() const;
  const Chat* chat(int64_t chat_id) const;
  int64_t next_chat_id() const;

  // Online status (in memory, not from records; null: every user reads as "recently"). Set
  // once by the owning Store.
  void set_presence(const Presence* presence) { presence_.ptr = presence; }
  const Presence* presence() const { return presence_.ptr; }

  // The access_hash `viewer` uses for `target` (per viewer, derived from the target's secret).
  static int64_t access_hash(const User& target, int64_t viewer);

 private:
  void on(const CodeSent& r);
  void on(const CodeUsed& r);
  void on(const UserCreated& r);
  void on(const KeyBound& r);
  void on(const KeyUnbound& r);
  void on(const ProfileSet& r);
  void on(const UsernameSet& r);
  void on(const ContactAdded& r);
  void on(const MessageSent& r);
  void on(const HistoryRead& r);
  void on(const ChatCreated& r);
  void on(const ChatUserAdded& r);
  void on(const ChatUserRemoved& r);
  void on(const ChatTitleSet& r);
  void on(const ChatMessageSent& r);
  void on(const MessageEdited& r);
  void on(const MessagesDeleted& r);
  void on(const PeerBlocked& r);
  void on(const PeerUnblocked& r);
  void on(const SnapshotBox& r);
  void on(const SnapshotMessage& r);
  void on(const SnapshotEvent& r);
  void on(const SnapshotDialog& r);
  void on(const SnapshotChat& r);
  void add_message(int64_t owner, Message message, int64_t random_id);

  std::map<int64_t, User> users_;
  std::unordered_map<std::string, int64_t> by_phone_;
  std::unordered_map<std::string, int64_t> by_username_;  // lowercase
  std::unordered_map<uint64_t, int64_t> key_user_;
  std::unordered_map<int64_t, std::vector<uint64_t>> user_keys_;
  std::unordered_map<int64_t, Box> boxes_;
  std::unordered_map<int64_t, std::set<int64_t>> saved_by_;  // contact -> owners
  std::unordered_map<std::string, CodeSent> codes_;
  std::map<int64_t, Chat> chats_;
  // Not state: models equal in every record compare equal whatever presence they read.
  struct PresenceRef {
    const Presence* ptr = nullptr;
    bool operator==(const PresenceRef&) const { return true; }
  };
  PresenceRef presence_;
};

// Lowercase ASCII (usernames compare case-insensitively).
std::string lowercase(std::string_view text);

}  // namespace mtedge::backend::embedded::state
