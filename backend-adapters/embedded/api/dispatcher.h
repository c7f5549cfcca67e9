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
#include <vector>

#include "backend-adapters/embedded/config.h"
#include "base/bytes.h"
#include "mtproto/tl/schema.h"
#include "mtproto/tl/schema_value.h"

namespace mtedge::backend::embedded::api {

// An update for every online session of `user_id` (except the calling session): an `Updates`
// object by names, serialized in each receiving session's layer. Sent after the query's locks
// are released (SessionService::handle), never from inside a handler.
struct Push {
  int64_t user_id = 0;
  uint64_t except_auth_key_id = 0;
  int64_t except_session_id = 0;
  mtproto::tl::Object updates;
};

// What a handler knows about the caller.
struct CallContext {
  const mtproto::tl::Schema* schema = nullptr;  // the answer layer's schema
  int layer = 0;                                // the answer layer (a shipped one)
  uint64_t auth_key_id = 0;
  int64_t session_id = 0;
  int64_t user_id = 0;                  // 0: the key is not signed in (filled by Dispatcher::call)
  double now = 0;                       // unix seconds
  std::vector<Push>* pushes = nullptr;  // where a handler leaves updates for other sessions
  uint32_t* flood_waits = nullptr;      // counts FLOOD_WAIT refusals (null: not counted)
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
  // Who a key is signed in as (0: nobody); without one every key is signed out. Set once,
  // before the dispatcher is shared.
  void set_user_lookup(std::function<int64_t(uint64_t auth_key_id)> lookup);

  // Answers one query. Never fails: a user method on a key that is not signed in is
  // 401 AUTH_KEY_UNREGISTERED, an unknown or unsupported method an rpc_error naming it
  // (400 METHOD_NOT_SUPPORTED: name). The handler sees context.user_id from the lookup.
  Bytes call(const CallContext& context, ByteView query) const;

  // The method's name in `layer` (else in any shipped layer), or "#xxxxxxxx".
  std::string method_name(uint32_t constructor_id, int layer) const;

  const mtproto::tl::SchemaSet& schemas() const { return *schemas_; }
  const EmbeddedConfig& config() const { return config_; }

 private:
  std::shared_ptr<const mtproto::tl::SchemaSet> schemas_;
  EmbeddedConfig config_;
  std::unordered_map<std::string, Handler> handlers_;
  std::function<int64_t(uint64_t)> user_lookup_;
};

// True for methods that need a signed-in user (account., users., messages., ...).
bool needs_user(std::string_view method);

// Registers help.getConfig and help.getNearestDc.
void add_help_methods(Dispatcher& dispatcher);

}  // namespace mtedge::backend::embedded::api
