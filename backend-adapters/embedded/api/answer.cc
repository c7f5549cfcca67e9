#include "backend-adapters/embedded/api/answer.h"

#include <fmt/format.h>

namespace mtedge::backend::embedded::api {
namespace {

namespace tl = mtproto::tl;

// A constructor of `type` that has no required field: the neutral value of that type.
const tl::Combinator* empty_constructor(const tl::Schema& schema, std::string_view type) {
  const auto* constructors = schema.constructors_of(type);
  if (constructors == nullptr) return nullptr;
  const tl::Combinator* found = nullptr;
  for (const tl::Combinator* c : *constructors) {
    bool fieldless = true;
    for (const tl::Param& p : c->params) fieldless = fieldless && (p.is_flags || p.cond_field);
    if (!fieldless) continue;
    if (c->name.ends_with("Empty")) return c;
    if (found == nullptr) found = c;
  }
  return found;
}

bool neutral_value(const tl::Schema& schema, const tl::TypeRef& type, tl::Value& out) {
  if (type.name == "int") {
    out = tl::Value::i32(0);
  } else if (type.name == "long") {
    out = tl::Value::i64(0);
  } else if (type.name == "double") {
    out = tl::Value::f64(0);
  } else if (type.name == "string") {
    out = tl::Value::str("");
  } else if (type.name == "bytes") {
    out = tl::Value::bytes({});
  } else if (type.name == "Bool") {
    out = tl::Value::boolean(false);
  } else if (type.name == "Vector" || type.name == "vector") {
    out = tl::Value::vector({});
  } else if (const tl::Combinator* c = empty_constructor(schema, type.name)) {
    out = tl::Value::object(tl::Object(c->name));
  } else {
    return false;
  }
  return true;
}

Result<tl::Value> fit_value(const tl::Schema& schema, const tl::Value& value) {
  if (value.kind() == tl::Value::Kind::kObject) {
    auto fitted = fit(schema, value.as_object());
    if (!fitted) return fitted.status();
    return tl::Value::object(std::move(fitted.value()));
  }
  if (value.kind() == tl::Value::Kind::kVector) {
    tl::Value::List items;
    for (const tl::Value& item : value.as_vector()) {
      auto fitted = fit_value(schema, item);
      if (fitted) items.push_back(std::move(fitted.value()));
    }
    return tl::Value::vector(std::move(items));
  }
  return value;
}

}  // namespace

Result<tl::Object> fit(const tl::Schema& schema, const tl::Object& object) {
  const tl::Combinator* c = schema.by_name(object.name);
  if (c == nullptr) return Status::error(fmt::format("{} is not in this layer", object.name));
  tl::Object out(c->name);
  for (const tl::Param& param : c->params) {
    if (param.is_flags) continue;
    if (const tl::Value* value = object.get(param.name)) {
      auto fitted = fit_value(schema, *value);
      if (fitted) {
        out.set(param.name, std::move(fitted.value()));
        continue;
      }
      if (!param.cond_field) return fitted.status();
    }
    if (param.cond_field) continue;
    tl::Value neutral;
    if (!neutral_value(schema, param.type, neutral)) {
      return Status::error(fmt::format("no value for {}.{}", c->name, param.name));
    }
    out.set(param.name, std::move(neutral));
  }
  return out;
}

Result<Bytes> serialize_fitted(const tl::Schema& schema, const tl::Object& object) {
  auto fitted = fit(schema, object);
  if (!fitted) return fitted.status();
  Bytes out;
  mtproto::TlWriter writer(out);
  Status status = tl::serialize_object(schema, fitted.value(), writer);
  if (!status) return status;
  return out;
}

Bytes answer(const CallContext& context, const tl::Object& object) {
  auto bytes = serialize_fitted(*context.schema, object);
  if (!bytes) return rpc_error(500, fmt::format("INTERNAL: {}", bytes.message()));
  return std::move(bytes.value());
}

Bytes answer_vector(const CallContext& context, const std::vector<tl::Object>& items) {
  Bytes out;
  mtproto::TlWriter writer(out);
  std::vector<Bytes> parts;
  for (const tl::Object& item : items) {
    auto bytes = serialize_fitted(*context.schema, item);
    if (bytes) parts.push_back(std::move(bytes.value()));
  }
  writer.write_vector_header(uint32_t(parts.size()));
  for (const Bytes& part : parts) writer.write_raw(part);
  return out;
}

Bytes answer_bool(bool value) {
  Bytes out;
  mtproto::TlWriter(out).write_bool(value);
  return out;
}

Result<tl::Object> parse_query(const CallContext& context, ByteView query) {
  mtproto::TlReader reader(query);
  auto parsed = tl::parse(*context.schema, reader, "Object");
  if (!parsed) return parsed.status();
  if (parsed->kind() != tl::Value::Kind::kObject) return Status::error("not an object");
  return parsed->as_object();
}

}  // namespace mtedge::backend::embedded::api
