// Reply: one RESP2 reply copied out of hiredis (nil, integer, status, error, bulk string,
// array), owned by the caller. Server errors ("-ERR ...", "-MOVED ...") are replies of type
// kError, not failed Results: a Result<Reply> fails only for client-side reasons (timeout,
// connection lost, queue full, client closed, too many redirects).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mtedge::redis {

class Reply {
 public:
  enum class Type { kNil, kInteger, kStatus, kError, kString, kArray };

  Reply() = default;  // nil
  static Reply nil() { return Reply(); }
  static Reply integer(int64_t value);
  static Reply status(std::string text);
  static Reply error(std::string text);
  static Reply string(std::string bytes);
  static Reply array(std::vector<Reply> elements);

  Type type() const { return type_; }
  bool is_nil() const { return type_ == Type::kNil; }
  bool is_integer() const { return type_ == Type::kInteger; }
  bool is_status() const { return type_ == Type::kStatus; }
  bool is_error() const { return type_ == Type::kError; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }

  // kInteger only (0 otherwise).
  int64_t as_integer() const { return integer_; }
  // The text of a status or error, the bytes of a bulk string (empty otherwise).
  const std::string& str() const { return str_; }
  // The elements of an array (empty otherwise).
  const std::vector<Reply>& elements() const { return elements_; }

  // For logs and test messages: "nil", "(integer) 5", "(error) ERR ...", ... (strings cut
  // at 64 bytes, arrays at 8 elements).
  std::string describe() const;

 private:
  static Reply with_text(Type type, std::string text);

  Type type_ = Type::kNil;
  int64_t integer_ = 0;
  std::string str_;
  std::vector<Reply> elements_;
};

}  // namespace mtedge::redis
