// The API layer: answers RPC queries (after the session layer peeled invokeWithLayer,
// initConnection and the other wrappers) by method name, in the client's layer, through the
// TL schema engine. Handlers are registered by name, so a method keeps its handler when its
// constructor id changes between layers. New areas (users, messages, updates) add handlers
// here; the session layer does not change.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "backend-adapters/embedded/config.h"
#include "base/bytes.h"
#include "mtproto/tl/schema.h"

namespace mtedge::backend::embedded::api {

// What a handler knows about the caller.
struct CallContext {
  const mtproto::tl::Schema* schema = nullptr;  // the answer layer's schema
  int layer = 0;                                // the answer layer (a shipped one)
  uint64_t auth_key_id = 0;
  int64_t user_id = 0;  // 0: the key is not signed in
  double now = 0;       // unix seconds
};

// A handler gets the whole query (constructor id first) and returns the boxed result object
// or an rpc_error, serialized: the `result` field of rpc_result.
using Handler = std::function<Bytes(const CallContext&, ByteView query)>;

// rpc_error#2144ca19 error_code:int error_message:string, serialized.
Bytes rpc_error(int32_t code, std::string_view message);

class Dispatcher {
 public:
  Dispatcher(std::shared_ptr<const mtproto::tl::SchemaSet> schemas, EmbeddedConfig config);

  void add(std::string method, Handler handler);

  // Answers one query. Never fails: an unknown or unsupported method becomes an rpc_error
  // naming it (400 METHOD_NOT_SUPPORTED: name), a user method on a key that is not signed in
  // 401 AUTH_KEY_UNREGISTERED.
  Bytes call(const CallContext& context, ByteView query) const;

  // The method's name in `layer` (else in any shipped layer), or "#xxxxxxxx".
  std::string method_name(uint32_t constructor_id, int layer) const;

  const mtproto::tl::SchemaSet& schemas() const { return *schemas_; }
  const EmbeddedConfig& config() const { return config_; }

 private:
  std::shared_ptr<const mtproto::tl::SchemaSet> schemas_;
  EmbeddedConfig config_;
  std::unordered_map<std::string, Handler> handlers_;
};

// True for methods that need a signed-in user (account., users., messages., ...).
bool needs_user(std::string_view method);

// Registers help.getConfig and help.getNearestDc.
void add_help_methods(Dispatcher& dispatcher);

}  // namespace mtedge::backend::embedded::api
