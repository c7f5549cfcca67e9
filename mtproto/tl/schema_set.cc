// SchemaSet: the service schema plus one Schema per shipped API layer.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mtproto/tl/schema.h"
#include "mtproto/tl/schema_embedded.h"

namespace mtedge::mtproto::tl {
namespace {

// "api-layer144.tl" -> 144; anything else -> -1.
int layer_of(const std::string& file_name) {
  static constexpr std::string_view kPrefix = "api-layer";
  std::string_view n = file_name;
  size_t slash = n.find_last_of('/');
  if (slash != std::string_view::npos) n.remove_prefix(slash + 1);
  if (!n.starts_with(kPrefix) || !n.ends_with(".tl")) return -1;
  std::string_view digits = n.substr(kPrefix.size(), n.size() - kPrefix.size() - 3);
  if (digits.empty() || digits.size() > 4 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return -1;
  return std::stoi(std::string(digits));
}

}  // namespace

Result<std::shared_ptr<const SchemaSet>> SchemaSet::load_texts(
    const std::vector<std::pair<std::string, std::string>>& files) {
  auto set = std::make_shared<SchemaSet>();
  // Service files first, in a fixed order: mtproto.tl, then the TDLib variant (which adds
  // p_q_inner_data_temp_dc, bind_auth_key_inner, ...).
  for (const char* service : {"mtproto.tl", "mtproto-tdlib.tl"}) {
    for (const auto& [name, text] : files) {
      if (std::filesystem::path(name).filename() != service) continue;
      std::vector<ParseNote> notes;
      if (auto st = parse_schema_text(text, set->service_, &notes); !st)
        return Status::error(st.message() + " [file = " + name + "]");
      for (auto& n : notes) set->notes_.push_back({n.line, name + ": " + n.text});
    }
  }
  if (set->service_.size() == 0) return Status::error("tl: no service schema (mtproto.tl)");
  for (const auto& [name, text] : files) {
    int layer = layer_of(name);
    if (layer < 0) continue;
    Schema schema = set->service_;
    std::vector<ParseNote> notes;
    if (auto st = parse_schema_text(text, schema, &notes); !st)
      return Status::error(st.message() + " [file = " + name + "]");
    for (auto& n : notes) set->notes_.push_back({n.line, name + ": " + n.text});
    set->layers_[layer] = std::move(schema);
  }
  return std::shared_ptr<const SchemaSet>(std::move(set));
}

Result<std::shared_ptr<const SchemaSet>> SchemaSet::load_embedded() {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& f : embedded_schema_files()) files.emplace_back(f.name, std::string(f.text));
  return load_texts(files);
}

Result<std::shared_ptr<const SchemaSet>> SchemaSet::load_directory(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".tl") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    if (!in)
      return Status::error("tl: cannot read schema file [path = " + entry.path().string() + "]");
    std::ostringstream ss;
    ss << in.rdbuf();
    files.emplace_back(entry.path().filename().string(), ss.str());
  }
  if (ec)
    return Status::error("tl: cannot list schema directory [path = " + dir + "]: " + ec.message());
  return load_texts(files);
}

const Schema* SchemaSet::layer(int layer) const {
  auto it = layers_.find(layer);
  return it == layers_.end() ? nullptr : &it->second;
}

int SchemaSet::pick_layer(int client_layer) const {
  if (layers_.empty()) return 0;
  auto it = layers_.upper_bound(client_layer);
  if (it == layers_.begin()) return it->first;
  return std::prev(it)->first;
}

std::vector<int> SchemaSet::layers() const {
  std::vector<int> out;
  for (const auto& [layer, schema] : layers_) out.push_back(layer);
  return out;
}

}  // namespace mtedge::mtproto::tl
