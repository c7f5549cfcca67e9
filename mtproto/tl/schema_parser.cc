// .tl schema text -> Combinators. See schema.h for the supported syntax.
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <regex>

#include "mtproto/tl/schema.h"

namespace mtedge::mtproto::tl {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string> split_ws(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool is_ident(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
  });
}

// Parses `T`, `%T`, `!X`, `Vector<T>`, `vector<%T>`.
std::optional<TypeRef> parse_type(std::string_view s) {
  TypeRef t;
  if (s.starts_with('!')) {
    t.generic_query = true;
    s.remove_prefix(1);
  }
  if (s.starts_with('%')) {
    t.bare_percent = true;
    s.remove_prefix(1);
  }
  size_t lt = s.find('<');
  if (lt != std::string_view::npos) {
    if (!s.ends_with('>')) return std::nullopt;
    t.name = std::string(s.substr(0, lt));
    auto inner = parse_type(s.substr(lt + 1, s.size() - lt - 2));
    if (!inner) return std::nullopt;
    t.params.push_back(std::move(*inner));
  } else {
    t.name = std::string(s);
  }
  if (!is_ident(t.name)) return std::nullopt;
  return t;
}

const char* const kBuiltinNames[] = {"int",    "long",   "double", "string", "bytes",
                                     "int128", "int256", "vector", "Vector"};

}  // namespace

std::string TypeRef::to_string() const {
  std::string s;
  if (generic_query) s += '!';
  if (bare_percent) s += '%';
  s += name;
  if (!params.empty()) s += "<" + params[0].to_string() + ">";
  return s;
}

uint32_t infer_constructor_id(std::string_view declaration_without_id) {
  std::string r;
  for (const auto& tok : split_ws(declaration_without_id)) {
    if (!r.empty()) r += ' ';
    r += tok;
  }
  if (r.ends_with(';')) r.pop_back();
  r = std::string(trim(r));
  auto replace_all = [&r](std::string_view from, std::string_view to) {
    size_t pos = 0;
    while ((pos = r.find(from, pos)) != std::string::npos) {
      r.replace(pos, from.size(), to);
      pos += to.size();
    }
  };
  replace_all(":bytes ", ":string ");
  replace_all("?bytes ", "?string ");
  replace_all("<", " ");
  replace_all(">", "");
  replace_all("{", "");
  replace_all("}", "");
  static const std::regex true_flag(R"( \w+:flags\d*\.\d+\?true)");
  r = std::regex_replace(r, true_flag, "");
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(r.data()), static_cast<uInt>(r.size())));
}

namespace {

// Parses one declaration (without the trailing ';'). Returns a note on skip.
std::optional<std::string> parse_declaration(std::string_view decl, bool is_function, Schema& out) {
  size_t eq = decl.rfind('=');
  if (eq == std::string_view::npos) return "no '='";
  auto lhs = split_ws(decl.substr(0, eq));
  auto result_text = std::string(trim(decl.substr(eq + 1)));
  if (lhs.empty()) return "empty declaration";
  if (decl.find('?') != std::string_view::npos && decl.find(" ? ") != std::string_view::npos)
    return "builtin type declaration";
  if (decl.find('[') != std::string_view::npos) return "builtin or unsupported '[ ]' declaration";

  Combinator c;
  c.is_function = is_function;
  std::string head = lhs[0];
  size_t hash = head.find('#');
  if (hash != std::string::npos) {
    c.name = head.substr(0, hash);
    std::string hex = head.substr(hash + 1);
    if (hex.empty() || hex.size() > 8 ||
        !std::all_of(hex.begin(), hex.end(), [](char ch) { return std::isxdigit(ch); }))
      return "bad constructor id";
    c.id = static_cast<uint32_t>(std::stoul(hex, nullptr, 16));
  } else {
    c.name = head;
  }
  if (!is_ident(c.name)) return "bad combinator name";
  for (const char* b : kBuiltinNames)
    if (c.name == b) return "builtin type '" + c.name + "'";

  for (size_t i = 1; i < lhs.size(); ++i) {
    std::string_view tok = lhs[i];
    if (tok.starts_with('{')) {
      if (!tok.ends_with('}')) return "bad generic";
      auto inner = tok.substr(1, tok.size() - 2);
      size_t colon = inner.find(':');
      if (colon == std::string_view::npos || inner.substr(colon + 1) != "Type")
        return "unsupported generic";
      c.generics.emplace_back(inner.substr(0, colon));
      continue;
    }
    size_t colon = tok.find(':');
    if (colon == std::string_view::npos) return "parameter without type: " + std::string(tok);
    Param p;
    p.name = std::string(tok.substr(0, colon));
    std::string_view ty = tok.substr(colon + 1);
    if (!is_ident(p.name)) return "bad parameter name";
    if (ty == "#") {
      p.is_flags = true;
      p.type.name = "#";
      c.params.push_back(std::move(p));
      continue;
    }
    size_t q = ty.find('?');
    if (q != std::string_view::npos) {
      std::string_view cond = ty.substr(0, q);
      size_t dot = cond.find('.');
      if (dot == std::string_view::npos) return "bad condition";
      std::string fname(cond.substr(0, dot));
      std::string bit(cond.substr(dot + 1));
      if (bit.empty() || bit.size() > 2 ||
          !std::all_of(bit.begin(), bit.end(), [](char ch) { return std::isdigit(ch); }))
        return "bad condition bit";
      p.cond_bit = std::stoi(bit);
      if (p.cond_bit > 31) return "condition bit out of range";
      bool known = std::any_of(c.params.begin(), c.params.end(), [&](const Param& prev) {
        return prev.is_flags && prev.name == fname;
      });
      if (!known) return "condition on unknown flags field '" + fname + "'";
      p.cond_field = fname;
      ty = ty.substr(q + 1);
    }
    auto t = parse_type(ty);
    if (!t) return "bad type '" + std::string(ty) + "'";
    p.type = std::move(*t);
    c.params.push_back(std::move(p));
  }
  auto res = parse_type(result_text);
  if (!res) return "bad result type '" + result_text + "'";
  c.result = std::move(*res);

  if (hash == std::string::npos) {
    std::string without_id(decl);
    c.id = infer_constructor_id(without_id);
    c.id_inferred = true;
  }
  out.add(std::move(c));
  return std::nullopt;
}

}  // namespace

Status parse_schema_text(std::string_view text, Schema& out, std::vector<ParseNote>* notes) {
  bool functions = false;
  std::string pending;
  int pending_line = 0;
  int line_no = 0;
  size_t added_before = out.size();
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    size_t comment = line.find("//");
    if (comment != std::string_view::npos) line = line.substr(0, comment);
    line = trim(line);
    if (line.empty()) continue;
    if (line == "---functions---") {
      functions = true;
      continue;
    }
    if (line == "---types---") {
      functions = false;
      continue;
    }
    if (pending.empty()) pending_line = line_no;
    if (!pending.empty()) pending += ' ';
    pending += line;
    // A declaration may span lines; it ends with ';'.
    while (true) {
      size_t semi = pending.find(';');
      if (semi == std::string::npos) break;
      std::string decl(trim(std::string_view(pending).substr(0, semi)));
      pending.erase(0, semi + 1);
      if (decl.empty()) continue;
      auto skipped = parse_declaration(decl, functions, out);
      if (skipped && notes) notes->push_back({pending_line, *skipped + ": " + decl.substr(0, 60)});
      pending_line = line_no;
    }
    if (pending.size() > 64 * 1024) return Status::error("schema declaration too long");
  }
  if (!std::string(trim(pending)).empty() && notes)
    notes->push_back({pending_line, "unterminated declaration"});
  if (out.size() == added_before) return Status::error("schema text has no declarations");
  return Status::ok();
}

void Schema::add(Combinator c) {
  auto ptr = std::make_shared<const Combinator>(std::move(c));
  auto it = by_name_.find(ptr->name);
  if (it != by_name_.end()) {
    const Combinator* old = it->second.get();
    auto id_it = by_id_.find(old->id);
    if (id_it != by_id_.end() && id_it->second.get() == old) by_id_.erase(id_it);
    auto t = by_type_.find(old->result.to_string());
    if (t != by_type_.end()) std::erase(t->second, old);
    it->second = ptr;
  } else {
    by_name_.emplace(ptr->name, ptr);
  }
  by_id_[ptr->id] = ptr;
  if (!ptr->is_function) by_type_[ptr->result.to_string()].push_back(ptr.get());
}

const Combinator* Schema::by_name(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second.get();
}

const Combinator* Schema::by_id(uint32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second.get();
}

const std::vector<const Combinator*>* Schema::constructors_of(std::string_view type_name) const {
  auto it = by_type_.find(type_name);
  return it == by_type_.end() ? nullptr : &it->second;
}

}  // namespace mtedge::mtproto::tl
