#include "backend-adapters/socket/socket.h"

#include "backend-adapters/socket/adapter.h"
#include "backend-adapters/socket/config.h"
#include "backend-adapters/socket/rendezvous.h"

namespace mtedge::backend::socket {
namespace {

class SocketFactory final : public AdapterFactory {
 public:
  Status configure(const toml::table& block, std::string_view path) override {
    auto config = parse_config(block, path);
    if (!config) return config.status();
    std::vector<std::string> names;
    for (const auto& endpoint : config->endpoints) names.push_back(endpoint.name);
    hash_ = std::make_shared<const RendezvousHash>(names);
    config_ = std::make_shared<const SocketConfig>(std::move(config.value()));
    return Status::ok();
  }

  config::KeyCatalog config_keys(std::string_view path) const override {
    return socket::config_keys(path);
  }

  std::unique_ptr<BackendAdapter> create(const AdapterContext& context) override {
    return std::make_unique<SocketAdapter>(config_, hash_, context);
  }

 private:
  std::shared_ptr<const SocketConfig> config_;
  std::shared_ptr<const RendezvousHash> hash_;
};

}  // namespace

void register_adapter(AdapterRegistry& registry) {
  registry.add("socket", [] { return std::make_unique<SocketFactory>(); });
}

}  // namespace mtedge::backend::socket
