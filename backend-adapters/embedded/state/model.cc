#include "backend-adapters/embedded/state/model.h"

#include <algorithm>

#include "base/bytes.h"
#include "crypto/hash.h"

namespace mtedge::backend::embedded::state {
namespace {
constexpr int64_t kFirstUserId = 1'000'001;
constexpr int64_t kFirstChatId = 1'001;
}  // namespace

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  }
  return out;
}

const Message* Box::message(int32_t id) const {
  if (id < 1 || id > int32_t(messages.size())) return nullptr;
  return &messages[size_t(id) - 1];
}

const Message* Box::live_message(int32_t id) const {
  const Message* m = message(id);
  return m != nullptr && !m->deleted ? m : nullptr;
}

int32_t Box::unread_from(int64_t peer, int32_t max_id) const {
  int32_t count = 0;
  for (size_t i = size_t(std::max(max_id, 0)); i < messages.size(); ++i) {
    if (messages[i].peer == peer && !messages[i].out && !messages[i].deleted) ++count;
  }
  return count;
}

bool Chat::is_member(int64_t user_id) const {
  return std::any_of(members.begin(), members.end(),
                     [&](const ChatMember& m) { return m.user_id == user_id; });
}

void Model::apply(const Record& record) {
  std::visit([this](const auto& r) { on(r); }, record);
}

const User* Model::user(int64_t id) const {
  auto it = users_.find(id);
  return it == users_.end() ? nullptr : &it->second;
}

const User* Model::user_by_phone(std::string_view phone) const {
  auto it = by_phone_.find(std::string(phone));
  return it == by_phone_.end() ? nullptr : user(it->second);
}

const User* Model::user_by_username(std::string_view username) const {
  auto it = by_username_.find(lowercase(username));
  return it == by_username_.end() ? nullptr : user(it->second);
}

int64_t Model::user_of_key(uint64_t auth_key_id) const {
  auto it = key_user_.find(auth_key_id);
  return it == key_user_.end() ? 0 : it->second;
}

std::vector<uint64_t> Model::keys_of(int64_t user_id) const {
  auto it = user_keys_.find(user_id);
  return it == user_keys_.end() ? std::vector<uint64_t>{} : it->second;
}

std::vector<int64_t> Model::saved_by(int64_t user_id) const {
  auto it = saved_by_.find(user_id);
  return it == saved_by_.end() ? std::vector<int64_t>{}
                               : std::vector<int64_t>(it->second.begin(), it->second.end());
}

const Box* Model::box(int64_t user_id) const {
  auto it = boxes_.find(user_id);
  return it == boxes_.end() ? nullptr : &it->second;
}

const CodeSent* Model::code(std::string_view phone) const {
  auto it = codes_.find(std::string(phone));
  return it == codes_.end() ? nullptr : &it->second;
}

int64_t Model::next_user_id() const {
  return users_.empty() ? kFirstUserId : users_.rbegin()->first + 1;
}

const Chat* Model::chat(int64_t chat_id) const {
  auto it = chats_.find(chat_id);
  return it == chats_.end() ? nullptr : &it->second;
}

int64_t Model::next_chat_id() const {
  return chats_.empty() ? kFirstChatId : chats_.rbegin()->first + 1;
}

int64_t Model::access_hash(const User& target, int64_t viewer) {
  uint8_t secret[8];
  uint8_t who[8];
  store_le32(secret, uint32_t(target.access_secret));
  store_le32(secret + 4, uint32_t(target.access_secret >> 32));
  store_le32(who, uint32_t(uint64_t(viewer)));
  store_le32(who + 4, uint32_t(uint64_t(viewer) >> 32));
  auto digest = crypto::hmac_sha256(ByteView(secret, 8), ByteView(who, 8));
  return int64_t(load_le64(digest.data()));
}

void Model::on(const CodeSent& r) {
  codes_[r.phone] = r;
}

void Model::on(const CodeUsed& r) {
  codes_.erase(r.phone);
}

void Model::on(const UserCreated& r) {
  User& u = users_[r.user_id];
  u.id = r.user_id;
  u.phone = r.phone;
  u.first_name = r.first_name;
  u.last_name = r.last_name;
  u.access_secret = r.access_secret;
  u.date = r.date;
  by_phone_[r.phone] = r.user_id;
  boxes_[r.user_id];
}

void Model::on(const KeyBound& r) {
  on(KeyUnbound{r.auth_key_id});
  key_user_[r.auth_key_id] = r.user_id;
  user_keys_[r.user_id].push_back(r.auth_key_id);
}

void Model::on(const KeyUnbound& r) {
  auto it = key_user_.find(r.auth_key_id);
  if (it == key_user_.end()) return;
  std::vector<uint64_t>& keys = user_keys_[it->second];
  keys.erase(std::remove(keys.begin(), keys.end(), r.auth_key_id), keys.end());
  if (keys.empty()) user_keys_.erase(it->second);
  key_user_.erase(it);
}

void Model::on(const ProfileSet& r) {
  auto it = users_.find(r.user_id);
  if (it == users_.end()) return;
  it->second.first_name = r.first_name;
  it->second.last_name = r.last_name;
  it->second.about = r.about;
}

void Model::on(const UsernameSet& r) {
  auto it = users_.find(r.user_id);
  if (it == users_.end()) return;
  if (!it->second.username.empty()) by_username_.erase(lowercase(it->second.username));
  it->second.username = r.username;
  if (!r.username.empty()) by_username_[lowercase(r.username)] = r.user_id;
}

void Model::on(const ContactAdded& r) {
  boxes_[r.owner].contacts[r.contact] = Contact{r.contact, r.first_name, r.last_name};
  saved_by_[r.contact].insert(r.owner);
}

void Model::add_message(int64_t owner, Message message, int64_t random_id) {
  Box& box = boxes_[owner];
  Dialog& dialog = box.dialogs[message.peer];
  dialog.peer = message.peer;
  dialog.top_message = message.id;
  if (message.out) {
    if (random_id != 0) box.sent_by_random_id[random_id] = message.id;
    // Saved messages are read as they are written.
    if (message.peer == owner) dialog.read_outbox_max_id = dialog.read_inbox_max_id = message.id;
  } else {
    ++dialog.unread_count;
  }
  box.pts = message.pts;
  box.events.push_back(Event{Event::Kind::kNewMessage, message.pts, message.id});
  box.messages.push_back(std::move(message));
}

void Model::on(const MessageSent& r) {
  // to_msg_id 0: the recipient blocked the sender and gets no copy.
  const bool delivered = r.from != r.to && r.to_msg_id != 0;
  add_message(r.from,
              Message{r.from_msg_id, r.to, true, r.date, r.text, r.entities, r.from_pts,
                      delivered ? r.to_msg_id : 0},
              r.random_id);
  if (delivered) {
    add_message(
        r.to,
        Message{r.to_msg_id, r.from, false, r.date, r.text, r.entities, r.to_pts, r.from_msg_id},
        0);
  }
}

void Model::on(const HistoryRead& r) {
  Box& reader = boxes_[r.reader];
  Dialog& dialog = reader.dialogs[r.peer];
  dialog.peer = r.peer;
  dialog.read_inbox_max_id = std::max(dialog.read_inbox_max_id, r.max_id);
  dialog.unread_count = reader.unread_from(r.peer, dialog.read_inbox_max_id);
  reader.pts = r.reader_pts;
  reader.events.push_back(
      Event{Event::Kind::kReadInbox, r.reader_pts, 0, r.peer, r.max_id, dialog.unread_count});
  if (r.peer_pts == 0) return;
  Box& peer = boxes_[r.peer];
  Dialog& outbox = peer.dialogs[r.reader];
  outbox.peer = r.reader;
  outbox.read_outbox_max_id = std::max(outbox.read_outbox_max_id, r.peer_max_id);
  peer.pts = r.peer_pts;
  peer.events.push_back(Event{Event::Kind::kReadOutbox, r.peer_pts, 0, r.reader, r.peer_max_id, 0});
}

void Model::on(const ChatCreated& r) {
  Chat& chat = chats_[r.chat_id];
  chat = Chat{r.chat_id, r.title, r.creator, r.date, 1, {}, {}};
  for (int64_t member : r.members) {
    if (!chat.is_member(member)) chat.members.push_back(ChatMember{member, r.creator, r.date});
  }
}

void Model::on(const ChatUserAdded& r) {
  auto it = chats_.find(r.chat_id);
  if (it == chats_.end() || it->second.is_member(r.user_id)) return;
  it->second.members.push_back(ChatMember{r.user_id, r.inviter, r.date});
  it->second.kicked.erase(r.user_id);
  ++it->second.version;
}

void Model::on(const ChatUserRemoved& r) {
  auto it = chats_.find(r.chat_id);
  if (it == chats_.end()) return;
  std::vector<ChatMember>& members = it->second.members;
  members.erase(std::remove_if(members.begin(), members.end(),
                               [&](const ChatMember& m) { return m.user_id == r.user_id; }),
                members.end());
  if (r.kicked) it->second.kicked.insert(r.user_id);
  ++it->second.version;
}

void Model::on(const ChatTitleSet& r) {
  auto it = chats_.find(r.chat_id);
  if (it == chats_.end()) return;
  it->second.title = r.title;
  ++it->second.version;
}

void Model::on(const ChatMessageSent& r) {
  for (const ChatCopy& copy : r.copies) {
    const bool out = copy.user_id == r.from;
    add_message(copy.user_id,
                Message{copy.msg_id, chat_peer(r.chat_id), out, r.date, r.text, r.entities,
                        copy.pts, 0, r.from, r.action},
                out ? r.random_id : 0);
  }
}

void Model::on(const MessageEdited& r) {
  Box& box = boxes_[r.owner];
  if (r.msg_id < 1 || r.msg_id > int32_t(box.messages.size())) return;
  Message& m = box.messages[size_t(r.msg_id) - 1];
  m.text = r.text;
  m.entities = r.entities;
  m.edit_date = r.edit_date;
  box.pts = r.pts;
  box.events.push_back(Event{Event::Kind::kEditMessage, r.pts, r.msg_id});
}

void Model::on(const MessagesDeleted& r) {
  Box& box = boxes_[r.owner];
  std::set<int64_t> peers;
  for (int32_t id : r.ids) {
    if (id < 1 || id > int32_t(box.messages.size())) continue;
    Message& m = box.messages[size_t(id) - 1];
    m.deleted = true;
    std::string().swap(m.text);
    std::vector<Entity>().swap(m.entities);
    peers.insert(m.peer);
  }
  // Each touched dialog: its newest message left (0: the dialog is hidden) and unread count.
  for (int64_t peer : peers) {
    Dialog& dialog = box.dialogs[peer];
    dialog.peer = peer;
    dialog.top_message = 0;
    for (auto it = box.messages.rbegin(); it != box.messages.rend(); ++it) {
      if (it->peer == peer && !it->deleted) {
        dialog.top_message = it->id;
        break;
      }
    }
    dialog.unread_count = box.unread_from(peer, dialog.read_inbox_max_id);
  }
  box.pts = r.pts;
  Event event{Event::Kind::kDeleteMessages, r.pts};
  event.ids = r.ids;
  box.events.push_back(std::move(event));
}

void Model::on(const PeerBlocked& r) {
  boxes_[r.owner].blocked[r.peer] = r.date;
}

void Model::on(const PeerUnblocked& r) {
  boxes_[r.owner].blocked.erase(r.peer);
}

void Model::on(const SnapshotBox& r) {
  boxes_[r.owner].pts = r.pts;
}

void Model::on(const SnapshotMessage& r) {
  Box& box = boxes_[r.owner];
  if (r.id != box.next_msg_id()) return;  // ids are dense: a record out of place is dropped
  if (r.random_id != 0) box.sent_by_random_id[r.random_id] = r.id;
  box.messages.push_back(Message{r.id, r.peer, r.out != 0, r.date, r.text, r.entities, r.pts,
                                 r.peer_msg_id, r.from, r.action, r.edit_date, r.deleted});
}

void Model::on(const SnapshotEvent& r) {
  Event event{Event::Kind(r.kind), r.pts, r.msg_id, r.peer, r.max_id, r.still_unread};
  event.ids = r.ids;
  boxes_[r.owner].events.push_back(std::move(event));
}

void Model::on(const SnapshotDialog& r) {
  boxes_[r.owner].dialogs[r.peer] =
      Dialog{r.peer, r.top_message, r.read_inbox_max_id, r.read_outbox_max_id, r.unread_count};
}

void Model::on(const SnapshotChat& r) {
  Chat& chat = chats_[r.chat_id];
  chat = Chat{r.chat_id, r.title, r.creator, r.date, r.version, {}, {}};
  for (const SnapshotChatMember& m : r.members) {
    chat.members.push_back(ChatMember{m.user_id, m.inviter, m.date});
  }
  chat.kicked.insert(r.kicked.begin(), r.kicked.end());
}

}  // namespace mtedge::backend::embedded::state
