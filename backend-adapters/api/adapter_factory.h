// Factories and the name registry that makes `backend.type` pick an adapter.
//
// Two phases (validate once, then build per worker): configure() reads and validates the
// adapter's own block at startup, so a bad block fails startup with the key's path, never
// the first connection; create() then builds one instance per worker from that immutable
// configuration.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend-adapters/api/adapter.h"
#include "backend-adapters/api/config_section.h"
#include "base/status.h"

namespace mtedge::backend {

// Which frames an adapter can take, checked against `crypto.edge_decryption` at load.
enum class EdgeDecryptionNeed : uint8_t {
  kAny,       // handles encrypted pass-through and decrypted frames (socket)
  kRequired,  // implements the session layer on decrypted frames (embedded)
  kForbidden  // passes encrypted packets through to a server that decrypts (relay)
};

class AdapterFactory {
 public:
  virtual ~AdapterFactory() = default;
  virtual EdgeDecryptionNeed edge_decryption() const { return EdgeDecryptionNeed::kAny; }
  // After configure(): the DC id this backend tells clients they are on (`<block>.this_dc`),
  // if it has one. With edge decryption the gateway requires it to equal crypto.dc_id, the
  // DC the handshake accepts.
  virtual std::optional<int32_t> this_dc() const { return std::nullopt; }
  // `block` is the adapter's table (`[backend.<type>]`), `path` its key path for messages
  // ("backend.relay"). Unknown keys are errors. File paths in the block are resolved with
  // config::resolve_config_path(config_dir(), ...).
  virtual Status configure(const toml::table& block, std::string_view path) = 0;
  // The config file's folder (set before configure(); "" when the config is not a file).
  void set_config_dir(std::string dir) { config_dir_ = std::move(dir); }
  const std::string& config_dir() const { return config_dir_; }
  // Every key of the block at `path`, with its default (config_section.h KeyCatalog).
  virtual config::KeyCatalog config_keys(std::string_view path) const {
    (void)path;
    return {};
  }
  // The longest this backend holds an MTProto-over-HTTP request itself before answering it
  // (its own long poll), if it answers long polls; gateway.http_max_wait_ms should exceed it.
  virtual std::optional<uint32_t> http_long_poll_ms() const { return std::nullopt; }
  virtual std::unique_ptr<BackendAdapter> create(const AdapterContext& context) = 0;

 private:
  std::string config_dir_;
};

class AdapterRegistry {
 public:
  using Maker = std::function<std::unique_ptr<AdapterFactory>()>;
  void add(std::string name, Maker maker) { makers_[std::move(name)] = std::move(maker); }
  std::unique_ptr<AdapterFactory> make(std::string_view name) const {
    auto it = makers_.find(std::string(name));
    return it == makers_.end() ? nullptr : it->second();
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [name, maker] : makers_) out.push_back(name);
    return out;
  }

 private:
  std::map<std::string, Maker> makers_;
};

}  // namespace mtedge::backend
