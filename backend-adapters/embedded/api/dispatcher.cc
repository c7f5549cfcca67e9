#include "backend-adapters/embedded/api/dispatcher.h"

#include <fmt/format.h>

#include <array>

#include "mtproto/tl/tl_reader.h"
#include "mtproto/tl/tl_writer.h"

namespace mtedge::backend::embedded::api {

namespace {
constexpr uint32_t kRpcErrorId = 0x2144ca19;

// Namespaces whose methods act for a signed-in user.
constexpr std::array<std::string_view, 19> kUserNamespaces = {
    "account",   "users",   "contacts", "messages", "updates", "photos",  "upload",
    "channels",  "bots",    "payments", "stickers", "phone",   "folders", "stats",
    "chatlists", "stories", "premium",  "smsjobs",  "fragment"};
}  // namespace

Bytes rpc_error(int32_t code, std::string_view message) {
  Bytes out;
  mtproto::TlWriter w(out);
  w.write_uint32(kRpcErrorId);
  w.write_int32(code);
  w.write_string(message);
  return out;
}

bool needs_user(std::string_view method) {
  size_t dot = method.find('.');
  if (dot == std::string_view::npos) return false;
  std::string_view ns = method.substr(0, dot);
  for (std::string_view candidate : kUserNamespaces) {
    if (ns == candidate) return true;
  }
  return false;
}

Dispatcher::Dispatcher(std::shared_ptr<const mtproto::tl::SchemaSet> schemas, EmbeddedConfig config)
    : schemas_(std::move(schemas)), config_(std::move(config)) {}

void Dispatcher::add(std::string method, Handler handler) {
  handlers_[std::move(method)] = std::move(handler);
}

void Dispatcher::set_user_lookup(std::function<int64_t(uint64_t)> lookup) {
  user_lookup_ = std::move(lookup);
}

std::string Dispatcher::method_name(uint32_t constructor_id, int layer) const {
  if (const auto* schema = schemas_->layer(layer)) {
    if (const auto* c = schema->by_id(constructor_id)) return c->name;
  }
  for (int other : schemas_->layers()) {
    if (const auto* c = schemas_->layer(other)->by_id(constructor_id)) return c->name;
  }
  return fmt::format("#{:08x}", constructor_id);
}

Bytes Dispatcher::call(const CallContext& context, ByteView query) const {
  if (query.size() < 4) return rpc_error(400, "INPUT_METHOD_INVALID: empty query");
  uint32_t id = load_le32(query.data());
  const mtproto::tl::Combinator* combinator = context.schema ? context.schema->by_id(id) : nullptr;
  if (combinator == nullptr || !combinator->is_function) {
    // Not a method of the client's layer: name it from any layer if we can.
    return rpc_error(400, fmt::format("METHOD_NOT_SUPPORTED: {}", method_name(id, context.layer)));
  }
  CallContext caller = context;
  caller.user_id = user_lookup_ ? user_lookup_(context.auth_key_id) : 0;
  if (caller.user_id == 0 && needs_user(combinator->name)) {
    return rpc_error(401, "AUTH_KEY_UNREGISTERED");
  }
  auto it = handlers_.find(combinator->name);
  if (it != handlers_.end()) return it->second(caller, query);
  return rpc_error(400, fmt::format("METHOD_NOT_SUPPORTED: {}", combinator->name));
}

}  // namespace mtedge::backend::embedded::api
