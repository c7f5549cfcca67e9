// account.updateProfile, account.checkUsername, account.updateUsername, account.updateStatus.
#include "backend-adapters/embedded/biz/biz.h"
#include "backend-adapters/embedded/biz/common.h"
#include "backend-adapters/embedded/biz/usernames.h"

namespace mtedge::backend::embedded::biz {
namespace {
constexpr size_t kMaxNameLength = 64;
constexpr size_t kMaxAboutLength = 70;
}  // namespace

std::vector<api::Push> status_pushes(const state::Model& model, int64_t user_id, int32_t date) {
  std::vector<api::Push> pushes;
  tl::Object update("updateUserStatus");
  update.set("user_id", tl::Value::i64(user_id));
  update.set("status", obj(status_object(model, user_id)));
  tl::Object updates("updateShort");
  updates.set("update", obj(std::move(update)));
  updates.set("date", tl::Value::i32(date));
  for (int64_t watcher : model.saved_by(user_id)) {
    pushes.push_back(api::Push{watcher, 0, 0, updates});
  }
  return pushes;
}

void add_account_methods(api::Dispatcher& dispatcher, std::shared_ptr<state::Store> store) {
  // Fields not given keep their value; a first name cannot become empty.
  add(dispatcher, "account.updateProfile", [store](const CallContext& c, const tl::Object& q) {
    return store->write([&](state::Transaction& txn) {
      const state::User& user = *txn.model().user(c.user_id);
      state::ProfileSet change{user.id, user.first_name, user.last_name, user.about};
      if (has_field(q, "first_name")) {
        change.first_name = string_field(q, "first_name");
        if (change.first_name.empty() || utf16_length(change.first_name) > kMaxNameLength) {
          return error(400, "FIRST_NAME_INVALID");
        }
      }
      if (has_field(q, "last_name")) {
        change.last_name = string_field(q, "last_name");
        if (utf16_length(change.last_name) > kMaxNameLength) return error(400, "LASTNAME_INVALID");
      }
      if (has_field(q, "about")) {
        change.about = string_field(q, "about");
        if (utf16_length(change.about) > kMaxAboutLength) return error(400, "ABOUT_TOO_LONG");
      }
      txn.apply(change);
      return api::answer(c, user_object(txn.model(), *txn.model().user(c.user_id), c.user_id));
    });
  });
  // True if the caller may take the name (free, or already its own); false if another has it.
  add(dispatcher, "account.checkUsername", [store](const CallContext& c, const tl::Object& q) {
    const std::string name = string_field(q, "username");
    if (!valid_username(name)) return error(400, "USERNAME_INVALID");
    return store->read([&](const state::Model& model) {
      const state::User* owner = model.user_by_username(name);
      return api::answer_bool(owner == nullptr || owner->id == c.user_id);
    });
  });
  // Online for online_expiry_s (or offline); the change goes to the users that have the caller
  // as a contact.
  const int32_t online_s = int32_t(dispatcher.config().online_expiry_s);
  add(dispatcher, "account.updateStatus",
      [store, online_s](const CallContext& c, const tl::Object& q) {
        const tl::Value* offline = q.get("offline");
        const bool going_offline =
            offline != nullptr && offline->kind() == tl::Value::Kind::kBool && offline->as_bool();
        const int32_t now = unix_now(c);
        state::Presence& presence = store->presence();
        const bool changed = going_offline ? presence.set_offline(c.user_id, now)
                                           : presence.set_online(c.user_id, c.auth_key_id,
                                                                 c.session_id, now, online_s);
        if (changed && c.pushes != nullptr) {
          auto pushes = store->read(
              [&](const state::Model& model) { return status_pushes(model, c.user_id, now); });
          c.pushes->insert(c.pushes->end(), pushes.begin(), pushes.end());
        }
        return api::answer_bool(true);
      });
  // "" removes the caller's username.
  add(dispatcher, "account.updateUsername", [store](const CallContext& c, const tl::Object& q) {
    const std::string name = string_field(q, "username");
    if (!name.empty() && !valid_username(name)) return error(400, "USERNAME_INVALID");
    return store->write([&](state::Transaction& txn) {
      const state::User* owner = txn.model().user_by_username(name);
      if (owner != nullptr && owner->id != c.user_id) return error(400, "USERNAME_OCCUPIED");
      if (txn.model().user(c.user_id)->username == name) return error(400, "USERNAME_NOT_MODIFIED");
      txn.apply(state::UsernameSet{c.user_id, name});
      return api::answer(c, user_object(txn.model(), *txn.model().user(c.user_id), c.user_id));
    });
  });
}

}  // namespace mtedge::backend::embedded::biz
