#include "bench/load/messenger_tl.h"

#include <charconv>
#include <cstdio>

#include "mtproto/tl/tl_reader.h"
#include "mtproto/tl/tl_writer.h"

namespace mtedge::bench {

namespace tl = mtproto::tl;
using mtproto::TlReader;
using mtproto::TlWriter;

namespace {

// api_id / api_hash: the embedded backend accepts any.
constexpr int32_t kApiId = 6;
constexpr const char* kApiHash = "00000000000000000000000000000000";

tl::Value str(std::string_view s) {
  return tl::Value::str(std::string(s));
}

tl::Object with_fields(std::string name,
                       std::initializer_list<std::pair<std::string_view, tl::Value>> fields) {
  tl::Object o(std::move(name));
  for (const auto& [field, value] : fields) o.set(field, value);
  return o;
}

const tl::Value* field(const tl::Value& v, std::string_view name) {
  return v.kind() == tl::Value::Kind::kObject ? v.as_object().get(name) : nullptr;
}

// The id (and access_hash, when present) of a user object.
bool read_user(const tl::Value& user, UserRef& out) {
  const tl::Value* id = field(user, "id");
  if (!id || id->kind() != tl::Value::Kind::kLong) return false;
  out.id = id->as_long();
  const tl::Value* hash = field(user, "access_hash");
  if (hash && hash->kind() == tl::Value::Kind::kLong) out.access_hash = hash->as_long();
  return true;
}

}  // namespace

std::string test_phone(int32_t dc, unsigned index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "99966%d%04u", dc % 10, index % 10000);
  return buf;
}

std::string test_code(int32_t dc) {
  return std::string(5, char('0' + dc % 10));
}

Result<std::unique_ptr<MessengerTl>> MessengerTl::load() {
  auto set = tl::SchemaSet::load_embedded();
  if (!set) return Status::error("TL schemas: " + set.message());
  const tl::Schema* schema = set.value()->layer(kMessengerLayer);
  if (!schema) return Status::error("TL schemas: no layer 144");
  std::unique_ptr<MessengerTl> m(new MessengerTl(set.value()));
  // The per-message path writes and reads these constructors by hand.
  const std::pair<const char*, uint32_t*> ids[] = {
      {"rpc_error", &m->rpc_error_},
      {"messages.sendMessage", &m->send_message_},
      {"inputPeerUser", &m->input_peer_user_},
      {"updateShortSentMessage", &m->update_short_sent_message_},
      {"updateShortMessage", &m->update_short_message_}};
  for (const auto& [name, id] : ids) {
    const tl::Combinator* c = schema->by_name(name);
    if (!c) return Status::error(std::string("TL schemas: layer 144 has no ") + name);
    *id = c->id;
  }
  return m;
}

MessengerTl::MessengerTl(std::shared_ptr<const tl::SchemaSet> set)
    : set_(std::move(set)), schema_(set_->layer(kMessengerLayer)) {}

Bytes MessengerTl::write(const tl::Object& query) const {
  Bytes out;
  TlWriter w(out);
  // Cannot fail: the queries are built here, by this layer's names.
  (void)tl::serialize_object(*schema_, query, w);
  return out;
}

Bytes MessengerTl::send_code(std::string_view phone) const {
  const tl::Object send_code =
      with_fields("auth.sendCode", {{"phone_number", str(phone)},
                                    {"api_id", tl::Value::i32(kApiId)},
                                    {"api_hash", str(kApiHash)},
                                    {"settings", tl::Value::object(tl::Object("codeSettings"))}});
  const tl::Object init = with_fields("initConnection", {{"api_id", tl::Value::i32(kApiId)},
                                                         {"device_model", str("mtedge-load")},
                                                         {"system_version", str("Linux")},
                                                         {"app_version", str("1.0")},
                                                         {"system_lang_code", str("en")},
                                                         {"lang_pack", str("")},
                                                         {"lang_code", str("en")},
                                                         {"query", tl::Value::object(send_code)}});
  return write(with_fields("invokeWithLayer", {{"layer", tl::Value::i32(kMessengerLayer)},
                                               {"query", tl::Value::object(init)}}));
}

Bytes MessengerTl::sign_in(std::string_view phone, std::string_view hash,
                           std::string_view code) const {
  return write(with_fields(
      "auth.signIn",
      {{"phone_number", str(phone)}, {"phone_code_hash", str(hash)}, {"phone_code", str(code)}}));
}

Bytes MessengerTl::sign_up(std::string_view phone, std::string_view hash,
                           std::string_view first_name) const {
  return write(with_fields("auth.signUp", {{"phone_number", str(phone)},
                                           {"phone_code_hash", str(hash)},
                                           {"first_name", str(first_name)},
                                           {"last_name", str("")}}));
}

Bytes MessengerTl::import_contact(std::string_view phone) const {
  const tl::Object contact = with_fields("inputPhoneContact", {{"client_id", tl::Value::i64(1)},
                                                               {"phone", str(phone)},
                                                               {"first_name", str("Partner")},
                                                               {"last_name", str("")}});
  return write(with_fields("contacts.importContacts",
                           {{"contacts", tl::Value::vector({tl::Value::object(contact)})}}));
}

SignInAnswer MessengerTl::read_sign_in_answer(ByteView body) const {
  SignInAnswer a;
  TlReader r(body);
  auto value = tl::parse(*schema_, r, "Object");
  if (!value || value->kind() != tl::Value::Kind::kObject) {
    a.error = "unreadable answer";
    return a;
  }
  const std::string& name = value->as_object().name;
  if (name == "rpc_error") {
    const tl::Value* message = field(*value, "error_message");
    a.error =
        message && message->kind() == tl::Value::Kind::kString ? message->as_string() : "rpc_error";
  } else if (name == "auth.sentCode") {
    const tl::Value* hash = field(*value, "phone_code_hash");
    if (hash && hash->kind() == tl::Value::Kind::kString) {
      a.kind = SignInAnswer::Kind::kSentCode;
      a.phone_code_hash = hash->as_string();
    }
  } else if (name == "auth.authorizationSignUpRequired") {
    a.kind = SignInAnswer::Kind::kSignUpRequired;
  } else if (name == "auth.authorization") {
    const tl::Value* user = field(*value, "user");
    if (user && read_user(*user, a.user)) a.kind = SignInAnswer::Kind::kSignedIn;
  } else if (name == "contacts.importedContacts") {
    const tl::Value* users = field(*value, "users");
    if (users && users->kind() == tl::Value::Kind::kVector && !users->as_vector().empty() &&
        read_user(users->as_vector().front(), a.user))
      a.kind = SignInAnswer::Kind::kContact;
  }
  if (a.kind == SignInAnswer::Kind::kError && a.error.empty()) a.error = "unexpected " + name;
  return a;
}

Bytes MessengerTl::send_message(const UserRef& to, std::string_view text, int64_t random_id) const {
  Bytes out;
  out.reserve(48 + text.size());
  TlWriter w(out);
  w.write_uint32(send_message_);
  w.write_uint32(0);  // flags
  w.write_uint32(input_peer_user_);
  w.write_int64(to.id);
  w.write_int64(to.access_hash);
  w.write_string(text);
  w.write_int64(random_id);
  return out;
}

bool MessengerTl::read_send_answer(ByteView body, std::string& error) const {
  if (body.size() >= 4 && load_le32(body.data()) == update_short_sent_message_) return true;
  TlReader r(body);
  if (!r.expect(rpc_error_)) {
    error = "unexpected_answer";
    return false;
  }
  r.read_int32();  // error_code
  error = std::string(r.read_string());
  if (!r.ok()) error = "malformed rpc_error";
  return false;
}

bool MessengerTl::read_short_message(ByteView body, int64_t& from_user,
                                     std::string_view& text) const {
  TlReader r(body);
  if (!r.expect(update_short_message_)) return false;
  r.read_uint32();  // flags
  r.read_int32();   // id
  from_user = r.read_int64();
  text = r.read_string();
  return r.ok();
}

std::string error_kind(std::string_view message) {
  const size_t underscore = message.rfind('_');
  if (underscore == std::string_view::npos || underscore + 1 == message.size()) {
    return std::string(message);
  }
  for (char c : message.substr(underscore + 1)) {
    if (c < '0' || c > '9') return std::string(message);
  }
  return std::string(message.substr(0, underscore)) + "_X";
}

unsigned flood_wait_seconds(std::string_view message) {
  constexpr std::string_view kPrefix = "FLOOD_WAIT_";
  if (message.substr(0, kPrefix.size()) != kPrefix) return 0;
  unsigned seconds = 0;
  const std::string_view digits = message.substr(kPrefix.size());
  std::from_chars(digits.data(), digits.data() + digits.size(), seconds);
  return seconds;
}

}  // namespace mtedge::bench
