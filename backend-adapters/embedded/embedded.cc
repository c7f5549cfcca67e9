#include "backend-adapters/embedded/embedded.h"

#include <fmt/format.h>

#include "backend-adapters/embedded/adapter.h"
#include "backend-adapters/embedded/session/session_service.h"
#include "mtproto/tl/schema.h"

namespace mtedge::backend::embedded {

EmbeddedFactory::EmbeddedFactory(KeyStoreProvider key_store)
    : key_store_(std::move(key_store)), router_(std::make_shared<WorkerRouter>()) {}

EmbeddedFactory::~EmbeddedFactory() = default;

std::optional<int32_t> EmbeddedFactory::this_dc() const {
  if (!service_) return std::nullopt;
  return service_->config().this_dc;
}

Status EmbeddedFactory::configure(const toml::table& block, std::string_view path) {
  auto config = parse_config(block, path);
  if (!config) return config.status();
  auto schemas = mtproto::tl::SchemaSet::load_embedded();
  if (!schemas)
    return Status::error(
        fmt::format("{}: cannot load the TL schemas: {}", path, schemas.message()));
  service_ =
      std::make_shared<SessionService>(std::move(config.value()), std::move(schemas.value()));
  service_->set_router(router_.get());
  return Status::ok();
}

config::KeyCatalog EmbeddedFactory::config_keys(std::string_view path) const {
  return embedded::config_keys(path);
}

std::optional<uint32_t> EmbeddedFactory::http_long_poll_ms() const {
  return kMaxHttpWaitMs;
}

std::unique_ptr<BackendAdapter> EmbeddedFactory::create(const AdapterContext& context) {
  if (!service_) {
    Status status = configure(toml::table{}, "backend.embedded");
    if (!status) return nullptr;
  }
  if (key_store_) service_->set_auth_key_store(key_store_());
  return std::make_unique<EmbeddedAdapter>(context, service_, router_);
}

void register_adapter(AdapterRegistry& registry, KeyStoreProvider key_store) {
  registry.add("embedded", [key_store] { return std::make_unique<EmbeddedFactory>(key_store); });
}

}  // namespace mtedge::backend::embedded
