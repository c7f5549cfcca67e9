// The embedded adapter (backend.type = "embedded"): an MTProto server inside the process,
// behind the gateway's edge crypto stage. It receives decrypted frames and runs the session
// layer (SessionService) and a small API (api::Dispatcher). See docs/backends/embedded.md.
#pragma once

#include <functional>
#include <memory>

#include "backend-adapters/api/adapter_factory.h"
#include "backend-adapters/embedded/config.h"

namespace mtedge::mtproto {
class AuthKeyStore;
}

namespace mtedge::backend::embedded {

class SessionService;
class WorkerRouter;

// Where destroy_auth_key erases keys: asked once per create(), so the gateway may open its
// key store after registering adapters.
using KeyStoreProvider = std::function<std::shared_ptr<mtproto::AuthKeyStore>()>;

class EmbeddedFactory final : public AdapterFactory {
 public:
  explicit EmbeddedFactory(KeyStoreProvider key_store = {});
  ~EmbeddedFactory() override;

  EdgeDecryptionNeed edge_decryption() const override { return EdgeDecryptionNeed::kRequired; }
  std::optional<int32_t> this_dc() const override;

  // Validates [backend.embedded] and builds the process's SessionService (loads the
  // embedded TL schemas).
  Status configure(const toml::table& block, std::string_view path) override;
  config::KeyCatalog config_keys(std::string_view path) const override;
  // Held HTTP requests are answered after http_wait's max_wait, at most kMaxHttpWaitMs.
  std::optional<uint32_t> http_long_poll_ms() const override;
  // One adapter per worker, all sharing the SessionService. The first call opens the state
  // log (state_file) and replays it; when it cannot, it logs why (naming the path) and
  // returns null, which fails startup.
  std::unique_ptr<BackendAdapter> create(const AdapterContext& context) override;

  // The shared session service (null before configure()). The edge stage may call
  // service()->on_auth_key_created(id, server_salt) after a handshake, and
  // service()->on_auth_key_destroyed(id) when it drops a key by itself.
  std::shared_ptr<SessionService> service() const { return service_; }

 private:
  KeyStoreProvider key_store_;
  std::shared_ptr<SessionService> service_;
  std::shared_ptr<WorkerRouter> router_;
  bool storage_opened_ = false;
};

// Registers the factory under the name "embedded".
void register_adapter(AdapterRegistry& registry, KeyStoreProvider key_store = {});

}  // namespace mtedge::backend::embedded
