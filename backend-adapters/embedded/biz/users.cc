// users.getUsers and users.getFullUser.
#include "backend-adapters/embedded/biz/biz.h"
#include "backend-adapters/embedded/biz/common.h"

namespace mtedge::backend::embedded::biz {

void add_users_methods(api::Dispatcher& dispatcher, std::shared_ptr<state::Store> store) {
  // Users the caller may not address (unknown, wrong access hash) are left out, as Telegram does.
  add(dispatcher, "users.getUsers", [store](const CallContext& c, const tl::Object& q) {
    return store->read([&](const state::Model& model) {
      std::vector<tl::Object> users;
      if (const tl::Value::List* ids = vector_field(q, "id")) {
        for (const tl::Value& input : *ids) {
          const tl::Object* o =
              input.kind() == tl::Value::Kind::kObject ? &input.as_object() : nullptr;
          if (auto id = resolve_input_user(model, c.user_id, o)) {
            users.push_back(user_object(model, *model.user(*id), c.user_id));
          }
        }
      }
      return api::answer_vector(c, users);
    });
  });
  add(dispatcher, "users.getFullUser", [store](const CallContext& c, const tl::Object& q) {
    return store->read([&](const state::Model& model) {
      auto id = resolve_input_user(model, c.user_id, object_field(q, "id"));
      if (!id) return error(400, "USER_ID_INVALID");
      const state::User& user = *model.user(*id);
      tl::Object full("userFull");
      if (model.box(c.user_id)->blocked.contains(user.id))
        full.set("blocked", tl::Value::boolean(true));
      full.set("id", tl::Value::i64(user.id));
      if (!user.about.empty()) full.set("about", tl::Value::str(user.about));
      full.set("settings", obj(tl::Object("peerSettings")));
      full.set("notify_settings", obj(tl::Object("peerNotifySettings")));
      full.set("common_chats_count", tl::Value::i32(0));
      tl::Object answer("users.userFull");
      answer.set("full_user", obj(std::move(full)));
      answer.set("users", vec({user_object(model, user, c.user_id)}));
      return api::answer(c, answer);
    });
  });
}

}  // namespace mtedge::backend::embedded::biz
