// TL schema engine: parses .tl schema text into combinators and keeps one registry per API
// layer, so objects can be built, written and read by name in any shipped layer.
//
// Supported syntax: `name#id field:type ... = Type;`, `---functions---` / `---types---`,
// `flags:#` (also `flags2:#`), conditional `flags.N?Type`, `true` flags, `Vector<T>` (boxed)
// and `vector<T>` (bare), `!X` with `{X:Type}` generics, bare `%T`, and `//` comments.
// A line without `#id` gets the CRC32 TL computes for it (see infer_constructor_id). Builtin
// declarations (`int ? = Int;`, `vector {t:Type} # [ t ] = Vector t;`, `int128 4*[ int ]`,
// `bytes = Bytes;` ...) are skipped: those types are built into the engine.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"

namespace mtedge::mtproto::tl {

// A type expression as written in a field: `int`, `Vector<long>`, `vector<%Message>`, `!X`,
// `future_salt` (a bare constructor), `InputPeer` (a boxed type).
struct TypeRef {
  std::string name;             // "Vector", "vector", "int", "InputPeer", "future_salt", "X"
  bool bare_percent = false;    // written `%Type`: bare form of the type's only constructor
  bool generic_query = false;   // written `!X`: any boxed object (a query)
  std::vector<TypeRef> params;  // element type of Vector/vector

  std::string to_string() const;
};

struct Param {
  std::string name;
  TypeRef type;
  bool is_flags = false;  // `name:#`
  // Conditional field `flags.N?T`: the flags field's name and bit N.
  std::optional<std::string> cond_field;
  int cond_bit = -1;
};

struct Combinator {
  std::string name;  // "config", "help.getConfig"
  uint32_t id = 0;
  bool id_inferred = false;  // no `#id` in the source; CRC32 computed
  bool is_function = false;
  std::vector<std::string> generics;  // `{X:Type}` names
  std::vector<Param> params;
  TypeRef result;  // "Config", "X", "Vector<User>"
};

// One layer's combinators (service schema + one API schema), by name, by id and by type.
class Schema {
 public:
  // Adds a combinator. A later definition with the same name replaces the earlier one, so an
  // API file can override a service definition; ids stay unique (the replaced id is dropped).
  void add(Combinator c);

  const Combinator* by_name(std::string_view name) const;
  const Combinator* by_id(uint32_t id) const;
  // Constructors (not functions) whose result type is `type_name`.
  const std::vector<const Combinator*>* constructors_of(std::string_view type_name) const;
  size_t size() const { return by_name_.size(); }

 private:
  std::map<std::string, std::shared_ptr<const Combinator>, std::less<>> by_name_;
  std::unordered_map<uint32_t, std::shared_ptr<const Combinator>> by_id_;
  std::map<std::string, std::vector<const Combinator*>, std::less<>> by_type_;
};

struct ParseNote {
  int line = 0;
  std::string text;  // why the line was skipped
};

// Parses one .tl file's text into `out`. Malformed declarations are skipped with a note;
// an error is returned only for input that is not a schema at all (empty result).
Status parse_schema_text(std::string_view text, Schema& out, std::vector<ParseNote>* notes);

// The id TL assigns to a declaration written without `#id`: CRC32 of the normalized line
// (id removed, `:bytes` as `:string`, `<`/`>`/`{`/`}` dropped, `flags.N?true` fields removed).
uint32_t infer_constructor_id(std::string_view declaration_without_id);

// All shipped layers. Service combinators (mtproto.tl, mtproto-tdlib.tl) are in every layer.
class SchemaSet {
 public:
  // Loads the schema files embedded into the binary at build time.
  static Result<std::shared_ptr<const SchemaSet>> load_embedded();
  // Loads mtproto.tl, mtproto-tdlib.tl and every api-layerN.tl from a directory.
  static Result<std::shared_ptr<const SchemaSet>> load_directory(const std::string& dir);
  // Builds from named texts ({"mtproto.tl", text}, {"api-layer144.tl", text}, ...).
  static Result<std::shared_ptr<const SchemaSet>> load_texts(
      const std::vector<std::pair<std::string, std::string>>& files);

  // The schema of exactly `layer`, or null.
  const Schema* layer(int layer) const;
  // The newest shipped layer not newer than `client_layer` (oldest shipped if all are newer).
  int pick_layer(int client_layer) const;
  const Schema* for_client_layer(int client_layer) const { return layer(pick_layer(client_layer)); }
  // Service-only schema (handshake and service messages), no API layer.
  const Schema& service() const { return service_; }
  std::vector<int> layers() const;
  const std::vector<ParseNote>& notes() const { return notes_; }

 private:
  Schema service_;
  std::map<int, Schema> layers_;
  std::vector<ParseNote> notes_;
};

}  // namespace mtedge::mtproto::tl
