#include "backend-adapters/api/config_section.h"

#include <fmt/format.h>
#include <netdb.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

namespace mtedge::backend::config {
namespace {

// "listener[0].secrets[1]" -> "listener.secrets": catalog paths name keys, not items.
std::string without_indexes(std::string_view path) {
  std::string out;
  bool in_index = false;
  for (char c : path) {
    if (c == '[') in_index = true;
    if (!in_index) out += c;
    if (c == ']') in_index = false;
  }
  return out;
}

}  // namespace

void KeyCatalog::add(KeySpec spec) {
  if (!find(spec.path)) keys_.push_back(std::move(spec));
}

const KeySpec* KeyCatalog::find(std::string_view path) const {
  for (const KeySpec& key : keys_) {
    if (key.path == path) return &key;
  }
  return nullptr;
}

void KeyCatalog::append(const KeyCatalog& other) {
  for (const KeySpec& key : other.keys_) add(key);
}

std::string toml_text(int64_t value) {
  return std::to_string(value);
}
std::string toml_text(bool value) {
  return value ? "true" : "false";
}
std::string toml_text(double value) {
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".en") == std::string::npos) text += ".0";  // a float, not an integer
  return text;
}

std::string toml_text(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string toml_text(const std::vector<std::string>& values) {
  std::string out = "[";
  for (const std::string& value : values) {
    if (out.size() > 1) out += ", ";
    out += toml_text(std::string_view(value));
  }
  return out + "]";
}

std::string resolve_config_path(std::string_view config_dir, std::string_view path) {
  if (path.empty() || path.front() == '/' || config_dir.empty()) return std::string(path);
  return (std::filesystem::path(config_dir) / path).lexically_normal().string();
}

Section::Section(const toml::table* table, std::string path, Status& status, KeyCatalog* catalog)
    : table_(table), path_(std::move(path)), status_(status), catalog_(catalog) {}

std::string Section::key_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

void Section::fail(std::string_view key, const std::string& what) {
  if (ok()) status_ = Status::error(fmt::format("{}: {}", key_path(key), what));
}

const toml::node* Section::get(std::string_view key) {
  used_.emplace(key);
  if (!table_ || !ok()) return nullptr;
  return table_->get(key);
}

void Section::note(std::string_view key, std::string default_toml, std::optional<double> min,
                   std::optional<double> max) {
  if (catalog_) catalog_->add({without_indexes(key_path(key)), std::move(default_toml), min, max});
}

std::string Section::range_message(int64_t value, int64_t min, int64_t max) {
  return fmt::format("must be between {} and {} [value = {}]", min, max, value);
}

void Section::number(std::string_view key, double& out, double min, double max) {
  note(key, toml_text(out), min, max);
  const toml::node* node = get(key);
  if (!node) return;
  auto value = node->value<double>();  // an integer is a number too
  if (!value || (!node->is_floating_point() && !node->is_integer())) {
    return fail(key, "expected a number");
  }
  if (*value < min || *value > max) {
    return fail(key, fmt::format("must be between {} and {} [value = {}]", min, max, *value));
  }
  out = *value;
}

void Section::boolean(std::string_view key, bool& out) {
  note(key, toml_text(out));
  const toml::node* node = get(key);
  if (!node) return;
  auto value = node->value_exact<bool>();
  if (!value) return fail(key, "expected true or false");
  out = *value;
}

bool Section::string(std::string_view key, std::string& out) {
  note(key, toml_text(std::string_view(out)));
  const toml::node* node = get(key);
  if (!node) return false;
  auto value = node->value_exact<std::string>();
  if (!value) {
    fail(key, "expected a string");
    return false;
  }
  out = *value;
  return true;
}

void Section::one_of(std::string_view key, std::string& out,
                     const std::vector<std::string_view>& allowed) {
  std::string value;
  note(key, toml_text(std::string_view(out)));
  if (!string(key, value)) return;
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
    std::string names;
    for (std::string_view name : allowed) names += (names.empty() ? "" : ", ") + std::string(name);
    return fail(key, fmt::format("unknown value \"{}\" (one of: {})", value, names));
  }
  out = value;
}

Section Section::table(std::string_view key) {
  const toml::node* node = get(key);
  if (node && !node->is_table()) fail(key, "expected a table");
  return Section(node && ok() ? node->as_table() : nullptr, key_path(key), status_, catalog_);
}

const toml::array* Section::array(std::string_view key, std::string_view expected) {
  const toml::node* node = get(key);
  if (!node) return nullptr;
  if (!node->is_array()) {
    fail(key, std::string(expected));
    return nullptr;
  }
  return node->as_array();
}

Section Section::item(const toml::node& node, std::string_view key) {
  if (!node.is_table()) fail(key, "expected a table");
  return Section(node.as_table(), key_path(key), status_, catalog_);
}

std::vector<std::string> Section::keys() const {
  std::vector<std::string> out;
  if (!table_ || !ok()) return out;
  for (auto&& [key, node] : *table_) out.emplace_back(key.str());
  return out;
}

void Section::check_unknown(
    const std::function<bool(std::string_view, const toml::node&)>& also_allowed) {
  if (!table_ || !ok()) return;
  for (auto&& [key, node] : *table_) {
    if (used_.count(key.str())) continue;
    if (also_allowed && also_allowed(key.str(), node)) continue;
    return fail(key.str(), "unknown key");
  }
}

Result<sockaddr_storage> resolve_host_port(std::string_view text, std::string_view noun) {
  std::string_view host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::error(fmt::format("invalid {} \"{}\" (want [v6]:port)", noun, text));
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return Status::error(fmt::format("invalid {} \"{}\" (want host:port)", noun, text));
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  uint32_t port = 0;
  if (host.empty() || !parse_int(port_text, port) || port == 0 || port > 65535) {
    return Status::error(fmt::format("invalid {} \"{}\" (want host:port)", noun, text));
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string host_z(host);
  const std::string port_z(port_text);
  int rc = getaddrinfo(host_z.c_str(), port_z.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    return Status::error(
        fmt::format("invalid {} \"{}\" (cannot resolve: {})", noun, text, gai_strerror(rc)));
  }
  sockaddr_storage out{};
  std::memcpy(&out, found->ai_addr, std::min<size_t>(found->ai_addrlen, sizeof out));
  freeaddrinfo(found);
  return out;
}

}  // namespace mtedge::backend::config
