// A generic TL object model and its schema-driven serializer/parser.
//
// Value is one of: none (absent), int, long, double, string, bytes, int128, int256, bool,
// vector, object (a constructor name + named fields). Objects are written and read by name
// through a Schema, so the same Object written with the layer-144 and the layer-193 schema
// gets each layer's constructor id (and field set).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "mtproto/tl/schema.h"
#include "mtproto/tl/tl_reader.h"
#include "mtproto/tl/tl_writer.h"

namespace mtedge::mtproto::tl {

struct Object;

// Deep-copying owner of an Object (Value stays a regular value type).
class ObjectBox {
 public:
  ObjectBox() = default;
  explicit ObjectBox(Object o);
  ObjectBox(const ObjectBox& other);
  ObjectBox& operator=(const ObjectBox& other);
  ObjectBox(ObjectBox&&) noexcept = default;
  ObjectBox& operator=(ObjectBox&&) noexcept = default;
  ~ObjectBox();
  Object& operator*() const { return *ptr_; }
  Object* operator->() const { return ptr_.get(); }

 private:
  std::unique_ptr<Object> ptr_;
};

class Value {
 public:
  using Int128 = std::array<uint8_t, 16>;
  using Int256 = std::array<uint8_t, 32>;
  using List = std::vector<Value>;
  enum class Kind {
    kNone,
    kInt,
    kLong,
    kDouble,
    kString,
    kBytes,
    kInt128,
    kInt256,
    kBool,
    kVector,
    kObject
  };

  Value() = default;
  static Value i32(int32_t v) { return Value(Storage(std::in_place_index<1>, v)); }
  static Value i64(int64_t v) { return Value(Storage(std::in_place_index<2>, v)); }
  static Value f64(double v) { return Value(Storage(std::in_place_index<3>, v)); }
  static Value str(std::string v) { return Value(Storage(std::in_place_index<4>, std::move(v))); }
  static Value bytes(Bytes v) { return Value(Storage(std::in_place_index<5>, std::move(v))); }
  static Value int128(const Int128& v) { return Value(Storage(std::in_place_index<6>, v)); }
  static Value int256(const Int256& v) { return Value(Storage(std::in_place_index<7>, v)); }
  static Value boolean(bool v) { return Value(Storage(std::in_place_index<8>, v)); }
  static Value vector(List v) { return Value(Storage(std::in_place_index<9>, std::move(v))); }
  static Value object(Object o);

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_none() const { return kind() == Kind::kNone; }

  // Accessors assert the kind (programmer error otherwise); check kind() first on parsed data.
  int32_t as_int() const { return std::get<1>(v_); }
  int64_t as_long() const { return std::get<2>(v_); }
  double as_double() const { return std::get<3>(v_); }
  const std::string& as_string() const { return std::get<4>(v_); }
  const Bytes& as_bytes() const { return std::get<5>(v_); }
  const Int128& as_int128() const { return std::get<6>(v_); }
  const Int256& as_int256() const { return std::get<7>(v_); }
  bool as_bool() const { return std::get<8>(v_); }
  const List& as_vector() const { return std::get<9>(v_); }
  List& as_vector() { return std::get<9>(v_); }
  const Object& as_object() const { return *std::get<10>(v_); }
  Object& as_object() { return *std::get<10>(v_); }
  // string or bytes content as a byte view (both have the same wire form).
  ByteView as_byte_view() const;

 private:
  using Storage = std::variant<std::monostate, int32_t, int64_t, double, std::string, Bytes, Int128,
                               Int256, bool, List, ObjectBox>;
  explicit Value(Storage v) : v_(std::move(v)) {}
  Storage v_;
};

// A constructor (or function) by name with its fields in any order. Absent conditional fields
// are simply not set; `true` flags are Value::boolean(true) when set. The flags fields (`#`)
// are computed on write from which conditional fields are present (a preset flags value keeps
// its bits that no field of this constructor controls).
struct Object {
  std::string name;
  std::vector<std::pair<std::string, Value>> fields;

  Object() = default;
  explicit Object(std::string n) : name(std::move(n)) {}
  Object& set(std::string_view field, Value v);
  const Value* get(std::string_view field) const;
  Value* get(std::string_view field);
};

struct ParseLimits {
  int max_depth = 32;           // nesting of objects and vectors
  size_t max_nodes = 1u << 20;  // total values produced by one parse
};

// Writes `value` as TL type `type` (e.g. "Config", "Vector<long>", "int", "%Message",
// "future_salt") in `schema`. Boxed types write the constructor id. On error nothing is
// appended.
Status serialize(const Schema& schema, const Value& value, std::string_view type, TlWriter& out);
// Writes an object boxed (constructor id + fields). Functions too (queries).
Status serialize_object(const Schema& schema, const Object& object, TlWriter& out);

// Reads one value of TL type `type` ("Object" or "!X": any boxed constructor or function).
// The reader is left just after the value; trailing bytes are the caller's business. A short
// or lying buffer, an unknown or mistyped constructor id, too deep nesting or too many values
// is an error.
Result<Value> parse(const Schema& schema, TlReader& in, std::string_view type,
                    const ParseLimits& limits = {});

}  // namespace mtedge::mtproto::tl
