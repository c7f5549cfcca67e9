// auth.sendCode / signIn / signUp / logOut. Test numbers 99966XYYYY sign in with the code
// "X" repeated five times where X is this DC's id (docs/spec/messenger.md §1); other numbers
// get a random code, written to the log, or the configured development code.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "backend-adapters/embedded/biz/biz.h"
#include "backend-adapters/embedded/biz/common.h"
#include "base/hex.h"
#include "crypto/random.h"

namespace mtedge::backend::embedded::biz {
namespace {

constexpr int32_t kCodeLifetimeS = 300;
constexpr size_t kMaxNameLength = 64;

bool is_test_number(std::string_view phone) {
  return phone.size() == 10 && phone.starts_with("99966");
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
    s.remove_suffix(1);
  return std::string(s);
}

class Auth {
 public:
  Auth(std::shared_ptr<state::Store> store, EmbeddedConfig config)
      : store_(std::move(store)), config_(std::move(config)) {}

  Bytes send_code(const CallContext& context, const tl::Object& q) {
    const std::string phone = normalize_phone(string_field(q, "phone_number"));
    if (phone.empty()) return error(400, "PHONE_NUMBER_INVALID");
    std::string code;
    if (is_test_number(phone)) {
      for (int i = 0; i < 5; ++i) code += std::to_string(config_.this_dc);
    } else if (!config_.dev_login_code.empty()) {
      code = config_.dev_login_code;
    } else {
      code = fmt::format("{:05}", crypto::random_u32() % 100000);
      spdlog::info("embedded: login code for +{}: {}", phone, code);
    }
    uint8_t hash_bytes[8];
    crypto::random_bytes(hash_bytes, sizeof hash_bytes);
    const std::string hash = encode_hex(ByteView(hash_bytes, sizeof hash_bytes));
    store_->write([&](state::Transaction& txn) {
      txn.apply(state::CodeSent{phone, hash, code, unix_now(context) + kCodeLifetimeS});
    });
    tl::Object type("auth.sentCodeTypeApp");
    type.set("length", tl::Value::i32(int32_t(code.size())));
    tl::Object sent("auth.sentCode");
    sent.set("type", obj(std::move(type)));
    sent.set("phone_code_hash", tl::Value::str(hash));
    return api::answer(context, sent);
  }

  Bytes sign_in(const CallContext& context, const tl::Object& q) {
    return store_->write([&](state::Transaction& txn) {
      std::string phone;
      if (auto refused = check_code(context, txn.model(), q, &phone)) return std::move(*refused);
      const state::User* user = txn.model().user_by_phone(phone);
      if (user == nullptr)
        return api::answer(context, tl::Object("auth.authorizationSignUpRequired"));
      return authorize(context, txn, phone, user->id);
    });
  }

  Bytes sign_up(const CallContext& context, const tl::Object& q) {
    const std::string first = trim(string_field(q, "first_name"));
    const std::string last = trim(string_field(q, "last_name"));
    return store_->write([&](state::Transaction& txn) {
      std::string phone;
      if (auto refused = check_code(context, txn.model(), q, &phone)) return std::move(*refused);
      if (txn.model().user_by_phone(phone) != nullptr) return error(400, "PHONE_NUMBER_OCCUPIED");
      if (first.empty() || utf16_length(first) > kMaxNameLength) {
        return error(400, "FIRST_NAME_INVALID");
      }
      if (utf16_length(last) > kMaxNameLength) return error(400, "LASTNAME_INVALID");
      uint64_t secret = 0;
      crypto::random_bytes(reinterpret_cast<uint8_t*>(&secret), sizeof secret);
      const int64_t id = txn.model().next_user_id();
      txn.apply(state::UserCreated{id, phone, first, last, secret, unix_now(context)});
      spdlog::debug("embedded: user {} signed up", id);
      return authorize(context, txn, phone, id);
    });
  }

  Bytes log_out(const CallContext& context, const tl::Object&) {
    store_->write(
        [&](state::Transaction& txn) { txn.apply(state::KeyUnbound{context.auth_key_id}); });
    return api::answer(context, tl::Object("auth.loggedOut"));
  }

 private:
  // The phone, hash and code of signIn / signUp against the code sent; an error if they do not
  // match (the code stays valid until it is used or expires).
  std::optional<Bytes> check_code(const CallContext& context, const state::Model& model,
                                  const tl::Object& q, std::string* phone) {
    *phone = normalize_phone(string_field(q, "phone_number"));
    if (phone->empty()) return error(400, "PHONE_NUMBER_INVALID");
    const std::string hash = string_field(q, "phone_code_hash");
    if (hash.empty()) return error(400, "PHONE_CODE_HASH_EMPTY");
    const bool sign_up = has_field(q, "first_name");
    const std::string code = string_field(q, "phone_code");
    if (!sign_up && code.empty()) return error(400, "PHONE_CODE_EMPTY");
    const state::CodeSent* sent = model.code(*phone);
    if (sent == nullptr || sent->hash != hash || sent->expires < unix_now(context)) {
      return error(400, "PHONE_CODE_EXPIRED");
    }
    if (!sign_up && code != sent->code) return error(400, "PHONE_CODE_INVALID");
    return std::nullopt;
  }

  // The code is used up and the key speaks for `user_id` from now on.
  Bytes authorize(const CallContext& context, state::Transaction& txn, const std::string& phone,
                  int64_t user_id) {
    txn.apply(state::CodeUsed{phone});
    txn.apply(state::KeyBound{context.auth_key_id, user_id});
    tl::Object auth("auth.authorization");
    auth.set("user", obj(user_object(txn.model(), *txn.model().user(user_id), user_id)));
    return api::answer(context, auth);
  }

  std::shared_ptr<state::Store> store_;
  const EmbeddedConfig config_;
};

}  // namespace

void add_auth_methods(api::Dispatcher& dispatcher, std::shared_ptr<state::Store> store) {
  auto auth = std::make_shared<Auth>(std::move(store), dispatcher.config());
  add(dispatcher, "auth.sendCode",
      [auth](const CallContext& c, const tl::Object& q) { return auth->send_code(c, q); });
  add(dispatcher, "auth.signIn",
      [auth](const CallContext& c, const tl::Object& q) { return auth->sign_in(c, q); });
  add(dispatcher, "auth.signUp",
      [auth](const CallContext& c, const tl::Object& q) { return auth->sign_up(c, q); });
  add(dispatcher, "auth.logOut", [auth](const CallContext& c, const tl::Object& q) {
    if (c.user_id == 0) return error(401, "AUTH_KEY_UNREGISTERED");
    return auth->log_out(c, q);
  });
}

void add_methods(api::Dispatcher& dispatcher, std::shared_ptr<state::Store> store) {
  dispatcher.set_user_lookup([store](uint64_t auth_key_id) {
    return store->read([&](const state::Model& m) { return m.user_of_key(auth_key_id); });
  });
  add_auth_methods(dispatcher, store);
  add_users_methods(dispatcher, store);
  add_account_methods(dispatcher, store);
  add_contacts_methods(dispatcher, store);
  add_messages_methods(dispatcher, store);
  add_updates_methods(dispatcher, store);
  add_chats_methods(dispatcher, store);
}

}  // namespace mtedge::backend::embedded::biz
