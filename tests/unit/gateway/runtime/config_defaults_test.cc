// The defaults that conf/mtedge.toml, docs/configuration.md and docs/backends/*.md show are
// the ones the config readers apply: each is compared with config_keys(), the catalog the
// readers fill from the values they fall back to, and every key the readers know must be
// documented in both places.
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "backend-adapters/api/adapter_factory.h"
#include "gateway/runtime/adapters.h"
#include "gateway/runtime/config.h"

namespace mtedge::gateway {
namespace {

using backend::config::KeyCatalog;
using backend::config::KeySpec;

// Keys conf/mtedge.toml sets to something else than their default on purpose (the embedded
// server on port 8888 with edge decryption); the comment above each says `Default: <value>`.
const std::set<std::string> kOverriddenInConf = {
    "listener.transports", "crypto.edge_decryption",           "crypto.auth_key_file",
    "admin.address",       "backend.embedded.advertised_port", "backend.embedded.state_file",
};

std::string read_file(const std::string& relative) {
  std::ifstream in(MTEDGE_VECTORS_DIR "/../../" + relative);
  EXPECT_TRUE(in.good()) << relative;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

KeyCatalog builtin_catalog() {
  backend::AdapterRegistry registry;
  register_builtin_adapters(registry);
  return config_keys(registry);
}

// A TOML value text in one spelling (toml++'s), or nullopt when it is not TOML.
std::optional<std::string> canonical(const std::string& text) {
  try {
    toml::table parsed = toml::parse("v = " + text);
    std::ostringstream out;
    out << parsed["v"];
    return out.str();
  } catch (const toml::parse_error&) {
    return std::nullopt;
  }
}

bool same_value(const std::string& written, const std::string& default_toml) {
  auto a = canonical(written);
  return a && a == canonical(default_toml);
}

std::string trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

// conf/mtedge.toml, line by line: every key written (set, or commented out as an example),
// with the comment block above it. Commented-out tables ("# [backend.relay.dc]") count.
struct ConfEntry {
  std::string value;
  bool commented = false;
  std::string comment;
};

std::map<std::string, ConfEntry> scan_conf(const std::string& text) {
  static const std::regex kKey(R"(^([a-z_]+) = (.*)$)");
  std::map<std::string, ConfEntry> entries;
  std::string section;
  std::string comment;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    line = trim(line);
    if (line.empty()) {
      comment.clear();
      continue;
    }
    const bool commented = line[0] == '#';
    const std::string body = commented ? trim(line.substr(1)) : line;
    std::smatch match;
    if (!body.empty() && body[0] == '[' && body.back() == ']') {
      section = body.substr(body.find_first_not_of('['));
      section = section.substr(0, section.find(']'));
      entries.emplace(section, ConfEntry{"", commented, comment});
      comment.clear();
    } else if (std::regex_match(body, match, kKey)) {
      entries.emplace(section + "." + match[1].str(),
                      ConfEntry{match[2].str(), commented, comment});
      comment.clear();
    } else {
      comment += body + "\n";
    }
  }
  return entries;
}

// The `default` column of every Markdown table with one, by key path: the section is the
// bracketed name in the heading above ("## [gateway]", "## Config (`[backend.embedded]`)"); a
// key written as a table ("[backend.relay.dc]") is its own path.
std::map<std::string, std::string> scan_doc_defaults(const std::string& text) {
  std::map<std::string, std::string> defaults;
  std::string section;
  int default_column = -1;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("#")) {
      const size_t open = line.find('[');
      const size_t close = line.rfind(']');
      section.clear();
      if (open != std::string::npos && close != std::string::npos && close > open) {
        for (char c : line.substr(open, close - open)) {
          if (c != '[' && c != ']') section += c;
        }
      }
      default_column = -1;
      continue;
    }
    if (!line.starts_with("|")) continue;
    std::vector<std::string> cells;
    std::string cell;
    for (size_t i = 1; i < line.size(); ++i) {
      if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
        cell += '|';
        ++i;
      } else if (line[i] == '|') {
        cells.push_back(trim(cell));
        cell.clear();
      } else {
        cell += line[i];
      }
    }
    if (cells.empty()) continue;
    if (cells[0] == "key") {
      default_column = -1;
      for (size_t i = 0; i < cells.size(); ++i) {
        if (cells[i] == "default") default_column = int(i);
      }
      continue;
    }
    if (default_column < 0 || section.empty() || !cells[0].starts_with("`") ||
        size_t(default_column) >= cells.size()) {
      continue;
    }
    std::string key;
    for (char c : cells[0]) {
      if (c != '`') key += c;
    }
    if (key.find('<') != std::string::npos) continue;  // a pattern ("[backend.<type>]")
    const std::string path =
        key.starts_with("[") ? key.substr(1, key.size() - 2) : section + "." + key;
    // The value: the first `code` span, else the first word.
    std::string value = cells[size_t(default_column)];
    if (value.starts_with("`")) {
      value = value.substr(1, value.find('`', 1) - 1);
    } else {
      value = value.substr(0, value.find(' '));
    }
    defaults[path] = value;
  }
  return defaults;
}

// The entry for `path` in `map`, or null after a test failure naming `where`.
template <class Map>
const typename Map::mapped_type* find_or_fail(const Map& map, const std::string& path,
                                              const char* where) {
  auto it = map.find(path);
  if (it != map.end()) return &it->second;
  ADD_FAILURE() << path << " is not in " << where;
  return nullptr;
}

TEST(ConfigDefaults, CatalogCoversEveryBlock) {
  KeyCatalog catalog = builtin_catalog();
  for (const char* path : {"gateway.workers", "listener.backlog", "listener.tls", "crypto.dc_id",
                           "backend.type", "admin.address", "log.level"}) {
    EXPECT_NE(catalog.find(path), nullptr) << path;
  }
  const KeySpec* workers = catalog.find("gateway.workers");
  ASSERT_NE(workers, nullptr);
  EXPECT_EQ(workers->default_toml, "0");
  EXPECT_EQ(workers->min, 0);
  EXPECT_EQ(workers->max, 256);
  EXPECT_EQ(catalog.find("listener.transports")->default_toml,
            R"(["abridged", "intermediate", "padded", "full"])");
}

TEST(ConfigDefaults, ShippedConfigShowsEveryKeyWithItsDefault) {
  const KeyCatalog catalog = builtin_catalog();
  const std::map<std::string, ConfEntry> conf = scan_conf(read_file("conf/mtedge.toml"));
  std::set<std::string> overridden;
  for (const KeySpec& key : catalog.keys()) {
    const ConfEntry* found = find_or_fail(conf, key.path, "conf/mtedge.toml");
    if (!found || key.default_toml.empty() || found->value.empty()) continue;  // no fixed default
    const ConfEntry& entry = *found;
    if (same_value(entry.value, key.default_toml)) continue;
    // Another value: only with a comment that gives the default.
    EXPECT_NE(entry.comment.find("Default: " + key.default_toml), std::string::npos)
        << key.path << ": conf/mtedge.toml writes " << entry.value << ", the default is "
        << key.default_toml << ", and the comment above does not say `Default: " << key.default_toml
        << "`";
    if (!entry.commented) overridden.insert(key.path);
  }
  EXPECT_EQ(overridden, kOverriddenInConf);
}

TEST(ConfigDefaults, DocsShowEveryKeyWithItsDefault) {
  const KeyCatalog catalog = builtin_catalog();
  std::map<std::string, std::string> docs;
  for (const char* file : {"docs/configuration.md", "docs/backends/relay.md",
                           "docs/backends/embedded.md", "docs/backends/socket.md"}) {
    for (auto& [path, value] : scan_doc_defaults(read_file(file))) {
      EXPECT_TRUE(docs.emplace(path, value).second) << path << " documented twice";
    }
  }
  for (const KeySpec& key : catalog.keys()) {
    const std::string* documented = find_or_fail(docs, key.path, "the docs' key tables");
    if (!documented || key.default_toml.empty()) continue;  // no fixed default
    EXPECT_TRUE(same_value(*documented, key.default_toml))
        << key.path << ": the docs say " << *documented << ", the default is " << key.default_toml;
  }
  for (const auto& [path, value] : docs) {
    EXPECT_NE(catalog.find(path), nullptr) << path << " is documented but no reader knows it";
  }
}

}  // namespace
}  // namespace mtedge::gateway
