// contacts.resolveUsername, contacts.importContacts, contacts.getContacts.
#include "backend-adapters/embedded/biz/biz.h"
#include "backend-adapters/embedded/biz/common.h"
#include "backend-adapters/embedded/biz/usernames.h"

namespace mtedge::backend::embedded::biz {

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
}

}  // namespace mtedge::backend::embedded::biz
