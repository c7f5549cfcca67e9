// Schema-driven serializer and parser for tl::Value (see schema_value.h).
#include <cctype>
#include <limits>

#include "mtproto/tl/schema_value.h"

namespace mtedge::mtproto::tl {

ObjectBox::ObjectBox(Object o) : ptr_(std::make_unique<Object>(std::move(o))) {}
ObjectBox::ObjectBox(const ObjectBox& other)
    : ptr_(other.ptr_ ? std::make_unique<Object>(*other.ptr_) : nullptr) {}
ObjectBox& ObjectBox::operator=(const ObjectBox& other) {
  if (this != &other) ptr_ = other.ptr_ ? std::make_unique<Object>(*other.ptr_) : nullptr;
  return *this;
}
ObjectBox::~ObjectBox() = default;

Value Value::object(Object o) {
  return Value(Storage(std::in_place_index<10>, ObjectBox(std::move(o))));
}

ByteView Value::as_byte_view() const {
  if (kind() == Kind::kString) return mtedge::as_bytes(as_string());
  return {as_bytes().data(), as_bytes().size()};
}

Object& Object::set(std::string_view field, Value v) {
  if (Value* existing = get(field)) {
    *existing = std::move(v);
  } else {
    fields.emplace_back(std::string(field), std::move(v));
  }
  return *this;
}

const Value* Object::get(std::string_view field) const {
  for (const auto& [key, value] : fields)
    if (key == field) return &value;
  return nullptr;
}

Value* Object::get(std::string_view field) {
  for (auto& [key, value] : fields)
    if (key == field) return &value;
  return nullptr;
}

namespace {

// A bare constructor reference: the part after the last '.' starts with a lowercase letter
// (`future_salt`, `message`), as opposed to a boxed type (`FutureSalt`, `help.Config`).
bool is_bare_constructor_name(std::string_view name) {
  size_t dot = name.rfind('.');
  std::string_view last = dot == std::string_view::npos ? name : name.substr(dot + 1);
  return !last.empty() && std::islower(static_cast<unsigned char>(last[0]));
}

bool is_any_object_type(const TypeRef& t, const Combinator* ctx) {
  if (t.generic_query || t.name == "Object") return true;
  if (ctx)
    for (const auto& g : ctx->generics)
      if (g == t.name) return true;
  return false;
}

std::optional<TypeRef> parse_type_text(std::string_view text) {
  TypeRef t;
  if (text.starts_with('!')) {
    t.generic_query = true;
    text.remove_prefix(1);
  }
  if (text.starts_with('%')) {
    t.bare_percent = true;
    text.remove_prefix(1);
  }
  size_t lt = text.find('<');
  if (lt != std::string_view::npos) {
    if (!text.ends_with('>')) return std::nullopt;
    t.name = std::string(text.substr(0, lt));
    auto inner = parse_type_text(text.substr(lt + 1, text.size() - lt - 2));
    if (!inner) return std::nullopt;
    t.params.push_back(std::move(*inner));
  } else {
    t.name = std::string(text);
  }
  if (t.name.empty()) return std::nullopt;
  return t;
}

// ---- writer ----

class Writer {
 public:
  Writer(const Schema& schema, TlWriter& out) : schema_(schema), out_(out) {}

  Status write(const Value& v, const TypeRef& t, const Combinator* ctx, int depth) {
    if (depth > 64) return Status::error("tl: nesting too deep");
    using K = Value::Kind;
    const std::string& n = t.name;
    if (is_any_object_type(t, ctx)) {
      if (v.kind() != K::kObject) return type_error(t, "an object");
      return write_object(v.as_object(), /*boxed=*/true, nullptr, depth + 1);
    }
    if (n == "int") {
      if (v.kind() == K::kInt) return out_.write_int32(v.as_int()), Status::ok();
      if (v.kind() == K::kLong && v.as_long() >= std::numeric_limits<int32_t>::min() &&
          v.as_long() <= std::numeric_limits<int32_t>::max())
        return out_.write_int32(static_cast<int32_t>(v.as_long())), Status::ok();
      return type_error(t, "int");
    }
    if (n == "long") {
      if (v.kind() == K::kLong) return out_.write_int64(v.as_long()), Status::ok();
      if (v.kind() == K::kInt) return out_.write_int64(v.as_int()), Status::ok();
      return type_error(t, "long");
    }
    if (n == "double") {
      if (v.kind() != K::kDouble) return type_error(t, "double");
      out_.write_double(v.as_double());
      return Status::ok();
    }
    if (n == "string" || n == "bytes") {
      if (v.kind() != K::kString && v.kind() != K::kBytes) return type_error(t, "string/bytes");
      if (v.as_byte_view().size() >= (1u << 24)) return Status::error("tl: bytes too long");
      out_.write_bytes(v.as_byte_view());
      return Status::ok();
    }
    if (n == "int128" || n == "int256") {
      size_t size = n == "int128" ? 16 : 32;
      if (v.kind() == K::kInt128 && size == 16)
        return out_.write_int128(v.as_int128()), Status::ok();
      if (v.kind() == K::kInt256 && size == 32)
        return out_.write_int256(v.as_int256()), Status::ok();
      if (v.kind() == K::kBytes && v.as_bytes().size() == size) {
        out_.write_raw({v.as_bytes().data(), size});
        return Status::ok();
      }
      return type_error(t, n.c_str());
    }
    if (n == "Bool") {
      if (v.kind() != K::kBool) return type_error(t, "bool");
      out_.write_bool(v.as_bool());
      return Status::ok();
    }
    if (n == "true") return Status::ok();  // carried by the flags bit only
    if (n == "Vector" || n == "vector") {
      if (t.params.size() != 1) return Status::error("tl: vector without element type");
      if (v.kind() != K::kVector) return type_error(t, "vector");
      const auto& list = v.as_vector();
      if (n == "Vector") {
        out_.write_vector_header(static_cast<uint32_t>(list.size()));
      } else {
        out_.write_bare_vector_count(static_cast<uint32_t>(list.size()));
      }
      for (const auto& item : list)
        if (auto st = write(item, t.params[0], ctx, depth + 1); !st) return st;
      return Status::ok();
    }
    if (v.kind() != K::kObject) return type_error(t, "an object");
    const Object& o = v.as_object();
    if (t.bare_percent) {
      const auto* ctors = schema_.constructors_of(n);
      const Combinator* c = schema_.by_name(o.name);
      if (!c && ctors && ctors->size() == 1) c = ctors->front();
      if (!c || c->result.to_string() != n) return Status::error("tl: no bare constructor of " + n);
      return write_fields(*c, o, depth + 1);
    }
    if (is_bare_constructor_name(n)) {
      const Combinator* c = schema_.by_name(n);
      if (!c) return Status::error("tl: unknown bare constructor " + n);
      return write_fields(*c, o, depth + 1);
    }
    return write_object(o, /*boxed=*/true, &n, depth + 1);
  }

  Status write_object(const Object& o, bool boxed, const std::string* expected_type, int depth) {
    const Combinator* c = schema_.by_name(o.name);
    if (!c) return Status::error("tl: unknown constructor '" + o.name + "'");
    if (expected_type && c->result.to_string() != *expected_type)
      return Status::error("tl: constructor '" + o.name + "' is not of type " + *expected_type);
    if (boxed) out_.write_uint32(c->id);
    return write_fields(*c, o, depth);
  }

  Status write_fields(const Combinator& c, const Object& o, int depth) {
    for (const Param& p : c.params) {
      if (p.is_flags) {
        out_.write_uint32(compute_flags(c, o, p));
        continue;
      }
      const Value* v = o.get(p.name);
      if (p.cond_field) {
        if (!is_present(p, v)) continue;
      } else if (!v || v->is_none()) {
        if (p.type.name == "true") continue;
        return Status::error("tl: missing field '" + p.name + "' of " + c.name);
      }
      if (auto st = write(*v, p.type, &c, depth); !st)
        return Status::error(st.message() + " [field = " + c.name + "." + p.name + "]");
    }
    return Status::ok();
  }

 private:
  static bool is_present(const Param& p, const Value* v) {
    if (!v || v->is_none()) return false;
    if (p.type.name == "true") return v->kind() != Value::Kind::kBool || v->as_bool();
    return true;
  }

  static uint32_t compute_flags(const Combinator& c, const Object& o, const Param& flags) {
    uint32_t value = 0;
    if (const Value* preset = o.get(flags.name)) {
      if (preset->kind() == Value::Kind::kInt) value = static_cast<uint32_t>(preset->as_int());
      if (preset->kind() == Value::Kind::kLong) value = static_cast<uint32_t>(preset->as_long());
    }
    for (const Param& p : c.params) {
      if (!p.cond_field || *p.cond_field != flags.name) continue;
      value &= ~(1u << p.cond_bit);
      if (is_present(p, o.get(p.name))) value |= 1u << p.cond_bit;
    }
    return value;
  }

  Status type_error(const TypeRef& t, const char* want) {
    return Status::error("tl: value does not match type " + t.to_string() + " [want = " + want +
                         "]");
  }

  const Schema& schema_;
  TlWriter& out_;
};

// ---- reader ----

class Reader {
 public:
  Reader(const Schema& schema, TlReader& in, const ParseLimits& limits)
      : schema_(schema), in_(in), limits_(limits) {}

  Result<Value> read(const TypeRef& t, const Combinator* ctx, int depth) {
    if (depth > limits_.max_depth) return Status::error("tl: nesting too deep");
    if (++nodes_ > limits_.max_nodes) return Status::error("tl: too many values");
    const std::string& n = t.name;
    if (is_any_object_type(t, ctx)) return read_boxed(nullptr, depth + 1);
    if (n == "int") return checked(Value::i32(in_.read_int32()));
    if (n == "long") return checked(Value::i64(in_.read_int64()));
    if (n == "double") return checked(Value::f64(in_.read_double()));
    if (n == "string") {
      auto s = in_.read_string();
      return checked(Value::str(std::string(s)));
    }
    if (n == "bytes") {
      auto b = in_.read_bytes();
      return checked(Value::bytes(Bytes(b.begin(), b.end())));
    }
    if (n == "int128") return checked(Value::int128(in_.read_int128()));
    if (n == "int256") return checked(Value::int256(in_.read_int256()));
    if (n == "Bool") return checked(Value::boolean(in_.read_bool()));
    if (n == "true") return Value::boolean(true);
    if (n == "Vector" || n == "vector") {
      if (t.params.size() != 1) return Status::error("tl: vector without element type");
      size_t min_item = min_size(t.params[0]);
      uint32_t count =
          n == "Vector" ? in_.read_vector_header(min_item) : in_.read_bare_vector_count(min_item);
      if (!in_.ok()) return reader_error();
      Value::List list;
      list.reserve(count);
      for (uint32_t i = 0; i < count; ++i) {
        auto item = read(t.params[0], ctx, depth + 1);
        if (!item) return item.status();
        list.push_back(std::move(item).value());
      }
      return Value::vector(std::move(list));
    }
    if (t.bare_percent) {
      const auto* ctors = schema_.constructors_of(n);
      if (!ctors || ctors->size() != 1) return Status::error("tl: no bare constructor of " + n);
      return read_fields(*ctors->front(), depth + 1);
    }
    if (is_bare_constructor_name(n)) {
      const Combinator* c = schema_.by_name(n);
      if (!c) return Status::error("tl: unknown bare constructor " + n);
      return read_fields(*c, depth + 1);
    }
    return read_boxed(&n, depth + 1);
  }

  Result<Value> read_boxed(const std::string* expected_type, int depth) {
    uint32_t id = in_.read_uint32();
    if (!in_.ok()) return reader_error();
    const Combinator* c = schema_.by_id(id);
    if (!c) return Status::error("tl: unknown constructor id");
    if (expected_type && (c->is_function || c->result.to_string() != *expected_type))
      return Status::error("tl: constructor of unexpected type [want = " + *expected_type + "]");
    return read_fields(*c, depth);
  }

  Result<Value> read_fields(const Combinator& c, int depth) {
    if (depth > limits_.max_depth) return Status::error("tl: nesting too deep");
    Object o(c.name);
    o.fields.reserve(c.params.size());
    for (const Param& p : c.params) {
      if (p.is_flags) {
        o.fields.emplace_back(p.name, Value::i32(in_.read_int32()));
        if (!in_.ok()) return reader_error();
        continue;
      }
      if (p.cond_field) {
        const Value* flags = o.get(*p.cond_field);
        if (!flags || flags->kind() != Value::Kind::kInt) return Status::error("tl: flags missing");
        if ((static_cast<uint32_t>(flags->as_int()) & (1u << p.cond_bit)) == 0) continue;
      }
      auto v = read(p.type, &c, depth + 1);
      if (!v) return v.status();
      o.fields.emplace_back(p.name, std::move(v).value());
    }
    return Value::object(std::move(o));
  }

 private:
  static size_t min_size(const TypeRef& t) {
    if (t.name == "long" || t.name == "double") return 8;
    if (t.name == "int128") return 16;
    if (t.name == "int256") return 32;
    if (t.name == "true") return 1;  // never a vector element in practice; keeps counts bounded
    return 4;
  }
  Result<Value> checked(Value v) {
    if (!in_.ok()) return reader_error();
    return v;
  }
  Status reader_error() const {
    return Status::error(std::string("tl: ") + (in_.error() ? in_.error() : "read error"));
  }

  const Schema& schema_;
  TlReader& in_;
  const ParseLimits& limits_;
  size_t nodes_ = 0;
};

}  // namespace

Status serialize(const Schema& schema, const Value& value, std::string_view type, TlWriter& out) {
  auto t = parse_type_text(type);
  if (!t) return Status::error("tl: bad type '" + std::string(type) + "'");
  size_t mark = out.size();
  Writer w(schema, out);
  auto st = w.write(value, *t, nullptr, 0);
  if (!st) out.buffer().resize(mark);  // never leave a partial object behind
  return st;
}

Status serialize_object(const Schema& schema, const Object& object, TlWriter& out) {
  size_t mark = out.size();
  Writer w(schema, out);
  auto st = w.write_object(object, /*boxed=*/true, nullptr, 0);
  if (!st) out.buffer().resize(mark);
  return st;
}

Result<Value> parse(const Schema& schema, TlReader& in, std::string_view type,
                    const ParseLimits& limits) {
  auto t = parse_type_text(type);
  if (!t) return Status::error("tl: bad type '" + std::string(type) + "'");
  Reader r(schema, in, limits);
  return r.read(*t, nullptr, 0);
}

}  // namespace mtedge::mtproto::tl
