#include "backend-adapters/embedded/embedded.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "backend-adapters/embedded/adapter.h"
#include "backend-adapters/embedded/session/session_service.h"
#include "backend-adapters/embedded/storage/log_storage.h"
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
  config->state_file = config::resolve_config_path(config_dir(), config->state_file);
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
  if (!storage_opened_) {
    storage_opened_ = true;
    const EmbeddedConfig& config = service_->config();
    if (config.state_file.empty()) {
      spdlog::warn(
          "embedded: backend.embedded.state_file is empty: the messenger state lives in memory "
          "only and is lost on restart");
    } else {
      storage::LogStorageOptions options;
      options.path = config.state_file;
      options.group_commit = config.group_commit;
      options.compact_after_bytes = config.compact_after_bytes;
      auto storage = storage::LogStorage::open(std::move(options), service_->shared_state());
      if (!storage) {
        spdlog::critical("backend.embedded.state_file: cannot open the state log: {}",
                         storage.message());
        return nullptr;
      }
      service_->set_storage(std::move(storage.value()));
    }
  }
  return std::make_unique<EmbeddedAdapter>(context, service_, router_);
}

void register_adapter(AdapterRegistry& registry, KeyStoreProvider key_store) {
  registry.add("embedded", [key_store] { return std::make_unique<EmbeddedFactory>(key_store); });
}

}  // namespace mtedge::backend::embedded
