// contacts.resolveUsername, contacts.importContacts, contacts.getContacts, contacts.block,
// contacts.unblock, contacts.getBlocked.
#include <algorithm>

#include "backend-adapters/embedded/biz/biz.h"
#include "backend-adapters/embedded/biz/common.h"
#include "backend-adapters/embedded/biz/usernames.h"

namespace mtedge::backend::embedded::biz {
namespace {

constexpr int32_t kMaxBlockedPage = 100;

// contacts.block / contacts.unblock. The stories-only list (my_stories_from, layer 193+) has
// nothing to hide here (there are no stories): such a call is accepted and changes nothing.
Bytes set_blocked(state::Store& store, const CallContext& c, const tl::Object& q, bool block) {
  if (has_field(q, "my_stories_from")) return api::answer_bool(true);
  return store.write([&](state::Transaction& txn) {
    auto peer = resolve_input_user(txn.model(), c.user_id, object_field(q, "id"));
    if (!peer || *peer == c.user_id) return error(400, "CONTACT_ID_INVALID");
    const bool blocked = txn.model().box(c.user_id)->blocked.contains(*peer);
    if (block && !blocked) txn.apply(state::PeerBlocked{c.user_id, *peer, unix_now(c)});
    if (!block && blocked) txn.apply(state::PeerUnblocked{c.user_id, *peer});
    return api::answer_bool(true);
  });
}

// The caller's blocked users, most recently blocked first, paged by offset and limit.
Bytes get_blocked(state::Store& store, const CallContext& c, const tl::Object& q) {
  return store.read([&](const state::Model& model) {
    std::vector<std::pair<int32_t, int64_t>> all;  // (date, peer)
    if (!has_field(q, "my_stories_from")) {
      for (const auto& [peer, date] : model.box(c.user_id)->blocked) all.emplace_back(date, peer);
    }
    std::sort(all.rbegin(), all.rend());
    const int32_t limit = int_field(q, "limit");
    const size_t start =
        size_t(std::clamp<int64_t>(int_field(q, "offset"), 0, int64_t(all.size())));
    const size_t end =
        std::min(all.size(),
                 start + size_t(limit <= 0 || limit > kMaxBlockedPage ? kMaxBlockedPage : limit));
    std::vector<tl::Object> blocked;
    std::set<int64_t> users;
    for (size_t i = start; i < end; ++i) {
      tl::Object entry("peerBlocked");
      entry.set("peer_id", obj(peer_user(all[i].second)));
      entry.set("date", tl::Value::i32(all[i].first));
      blocked.push_back(std::move(entry));
      users.insert(all[i].second);
    }
    const bool whole = start == 0 && end == all.size();
    tl::Object answer(whole ? "contacts.blocked" : "contacts.blockedSlice");
    if (!whole) answer.set("count", tl::Value::i32(int32_t(all.size())));
    answer.set("blocked", vec(std::move(blocked)));
    answer.set("chats", vec({}));
    answer.set("users", vec(user_objects(model, users, c.user_id)));
    return api::answer(c, answer);
  });
}

}  // namespace

void add_contacts_methods(api::Dispatcher& dispatcher, std::shared_ptr<state::Store> store) {
  add(dispatcher, "contacts.resolveUsername", [store](const CallContext& c, const tl::Object& q) {
    const std::string name = string_field(q, "username");
    if (!valid_username(name)) return error(400, "USERNAME_INVALID");
    return store->read([&](const state::Model& model) {
      const state::User* user = model.user_by_username(name);
      if (user == nullptr) return error(400, "USERNAME_NOT_OCCUPIED");
      tl::Object resolved("contacts.resolvedPeer");
      resolved.set("peer", obj(peer_user(user->id)));
      resolved.set("users", vec({user_object(model, *user, c.user_id)}));
      return api::answer(c, resolved);
    });
  });
  // Every contact whose phone belongs to a user (not the caller) is saved under the given name
  // and reported imported; the others are simply not imported.
  add(dispatcher, "contacts.importContacts", [store](const CallContext& c, const tl::Object& q) {
    return store->write([&](state::Transaction& txn) {
      std::vector<tl::Object> imported;
      std::set<int64_t> users;
      if (const tl::Value::List* contacts = vector_field(q, "contacts")) {
        for (const tl::Value& item : *contacts) {
          if (item.kind() != tl::Value::Kind::kObject) continue;
          const tl::Object& contact = item.as_object();
          const state::User* user =
              txn.model().user_by_phone(normalize_phone(string_field(contact, "phone")));
          if (user == nullptr || user->id == c.user_id) continue;
          txn.apply(state::ContactAdded{c.user_id, user->id, string_field(contact, "first_name"),
                                        string_field(contact, "last_name")});
          tl::Object entry("importedContact");
          entry.set("user_id", tl::Value::i64(user->id));
          entry.set("client_id", tl::Value::i64(long_field(contact, "client_id")));
          imported.push_back(std::move(entry));
          users.insert(user->id);
        }
      }
      tl::Object answer("contacts.importedContacts");
      answer.set("imported", vec(std::move(imported)));
      answer.set("users", vec(user_objects(txn.model(), users, c.user_id)));
      return api::answer(c, answer);
    });
  });
  // Always the whole list (the hash is not compared).
  add(dispatcher, "contacts.getContacts", [store](const CallContext& c, const tl::Object&) {
    return store->read([&](const state::Model& model) {
      std::vector<tl::Object> contacts;
      std::set<int64_t> users;
      for (const auto& [id, contact] : model.box(c.user_id)->contacts) {
        const state::Box* theirs = model.box(id);
        tl::Object entry("contact");
        entry.set("user_id", tl::Value::i64(id));
        entry.set("mutual", tl::Value::boolean(theirs && theirs->contacts.contains(c.user_id)));
        contacts.push_back(std::move(entry));
        users.insert(id);
      }
      tl::Object answer("contacts.contacts");
      answer.set("contacts", vec(std::move(contacts)));
      answer.set("saved_count", tl::Value::i32(0));
      answer.set("users", vec(user_objects(model, users, c.user_id)));
      return api::answer(c, answer);
    });
  });
  add(dispatcher, "contacts.block", [store](const CallContext& c, const tl::Object& q) {
    return set_blocked(*store, c, q, true);
  });
  add(dispatcher, "contacts.unblock", [store](const CallContext& c, const tl::Object& q) {
    return set_blocked(*store, c, q, false);
  });
  add(dispatcher, "contacts.getBlocked",
      [store](const CallContext& c, const tl::Object& q) { return get_blocked(*store, c, q); });
}

}  // namespace mtedge::backend::embedded::biz
