#include "backend-adapters/relay/relay.h"

#include "backend-adapters/relay/adapter.h"
#include "backend-adapters/relay/config.h"

namespace mtedge::backend::relay {
namespace {

class RelayFactory final : public AdapterFactory {
 public:
  EdgeDecryptionNeed edge_decryption() const override { return EdgeDecryptionNeed::kForbidden; }
  Status configure(const toml::table& block, std::string_view path) override {
    auto config = parse_config(block, path);
    if (!config) return config.status();
    config_ = std::make_shared<const RelayConfig>(std::move(config.value()));
    return Status::ok();
  }

  config::KeyCatalog config_keys(std::string_view path) const override {
    return relay::config_keys(path);
  }

  std::unique_ptr<BackendAdapter> create(const AdapterContext& context) override {
    return std::make_unique<RelayAdapter>(config_, context);
  }

 private:
  std::shared_ptr<const RelayConfig> config_;
};

}  // namespace

void register_adapter(AdapterRegistry& registry) {
  registry.add("relay", [] { return std::make_unique<RelayFactory>(); });
}

}  // namespace mtedge::backend::relay
