// Reading one TOML table of the configuration: the gateway's blocks and every adapter's own
// `[backend.<type>]` block (AdapterFactory::configure) are read with it.
//
// Contracts:
// - Every error names the full key path: "<section path>.<key>: <what>", e.g.
//   `backend.relay.dc.2: expected a string`; array items are named `key[i]` (from 0).
// - The first error sticks (a shared Status); later reads are no-ops.
// - A reader leaves `out` untouched when the key is absent, so the value `out` holds before
//   the read is the key's default. With a KeyCatalog attached, each reader records the key's
//   path, that default (as TOML text) and its range: the catalog is where docs/configuration.md
//   and conf/mtedge.toml take their defaults from (a unit test compares them).
// - check_unknown() reports the first key no reader asked for.
#pragma once

#include <sys/socket.h>
#include <toml++/toml.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace mtedge::backend::config {

// One key the readers know. `path` drops array indexes ("listener.backlog"); `default_toml`
// is the default as TOML text, empty when the key has no fixed default (required, computed
// from other keys, or none); min and max are set for integers and numbers.
struct KeySpec {
  std::string path;
  std::string default_toml;
  std::optional<double> min;
  std::optional<double> max;
};

// Keys in the order they were read; a key is recorded once (the first record wins).
class KeyCatalog {
 public:
  void add(KeySpec spec);
  const KeySpec* find(std::string_view path) const;
  const std::vector<KeySpec>& keys() const { return keys_; }
  void append(const KeyCatalog& other);

 private:
  std::vector<KeySpec> keys_;
};

// The catalog of a block reader `parse(const toml::table&, std::string_view path,
// KeyCatalog*)`: run over an empty table, every reader records its key with the default.
template <typename Parse>
KeyCatalog catalog_of(std::string_view path, Parse parse) {
  KeyCatalog catalog;
  (void)parse(toml::table{}, path, &catalog);
  return catalog;
}

// TOML text of a value, as the catalog records defaults.
std::string toml_text(int64_t value);
std::string toml_text(bool value);
std::string toml_text(double value);
std::string toml_text(std::string_view value);  // a quoted basic string
std::string toml_text(const std::vector<std::string>& values);

class Section {
 public:
  // `table` may be null (the section is absent: every key keeps its default).
  Section(const toml::table* table, std::string path, Status& status,
          KeyCatalog* catalog = nullptr);

  const std::string& path() const { return path_; }
  std::string key_path(std::string_view key) const;
  bool ok() const { return status_.is_ok(); }
  void fail(std::string_view key, const std::string& what);

  // The raw node at `key` (null when absent), marking the key as known. Readers of their
  // own shape call note() first so the catalog has the key.
  const toml::node* get(std::string_view key);
  // Records `key` in the catalog with `default_toml` ("" = no fixed default).
  void note(std::string_view key, std::string default_toml, std::optional<double> min = {},
            std::optional<double> max = {});

  template <class T>
  void integer(std::string_view key, T& out, int64_t min, int64_t max) {
    note(key, toml_text(static_cast<int64_t>(out)), double(min), double(max));
    const toml::node* node = get(key);
    if (!node) return;
    auto value = node->value_exact<int64_t>();
    if (!value) return fail(key, "expected an integer");
    if (*value < min || *value > max) return fail(key, range_message(*value, min, max));
    out = static_cast<T>(*value);
  }
  void number(std::string_view key, double& out, double min, double max);
  void boolean(std::string_view key, bool& out);
  // True when the key is present and a string.
  bool string(std::string_view key, std::string& out);
  template <size_t N>
  void one_of(std::string_view key, std::string& out,
              const std::array<std::string_view, N>& allowed) {
    one_of(key, out, std::vector<std::string_view>(allowed.begin(), allowed.end()));
  }
  void one_of(std::string_view key, std::string& out, const std::vector<std::string_view>& allowed);

  // A nested table at `key` as a Section sharing this one's status and catalog; an absent
  // key gives a Section over nothing, a value of another type fails "expected a table".
  Section table(std::string_view key);
  // The array at `key` (null when absent); another type fails with `expected` as message.
  const toml::array* array(std::string_view key, std::string_view expected);
  // A Section over an item of an array read from this one (`key` like "secrets[0]"); an
  // item that is not a table fails "expected a table".
  Section item(const toml::node& node, std::string_view key);

  // The keys of this section's table as written (for tables keyed by data, like DC ids).
  std::vector<std::string> keys() const;

  // Reports the first key no reader asked for. `also_allowed` accepts extra keys.
  void check_unknown(
      const std::function<bool(std::string_view, const toml::node&)>& also_allowed = {});

 private:
  static std::string range_message(int64_t value, int64_t min, int64_t max);

  const toml::table* table_;
  std::string path_;
  Status& status_;
  KeyCatalog* catalog_;
  std::set<std::string, std::less<>> used_;
};

// Whole-string decimal parse (no sign for unsigned T, no spaces, no trailing bytes).
template <class T>
bool parse_int(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// A file path from the config as the process opens it: relative paths are relative to the
// config file's folder `config_dir` (not the working directory), so a config works the same
// from any directory and under a service manager. Absolute paths, "" and an empty
// `config_dir` (a config that is not a file, e.g. in tests) leave `path` as written.
std::string resolve_config_path(std::string_view config_dir, std::string_view path);

// "host:port" or "[v6]:port": the host is an IP literal or a name resolved now (at startup;
// the first address found is used). Errors read `invalid <noun> "<text>" (...)`.
Result<sockaddr_storage> resolve_host_port(std::string_view text, std::string_view noun);

}  // namespace mtedge::backend::config
