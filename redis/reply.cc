#include "redis/reply.h"

#include <utility>

namespace mtedge::redis {

Reply Reply::integer(int64_t value) {
  Reply r;
  r.type_ = Type::kInteger;
  r.integer_ = value;
  return r;
}

Reply Reply::with_text(Type type, std::string text) {
  Reply r;
  r.type_ = type;
  r.str_ = std::move(text);
  return r;
}

Reply Reply::status(std::string text) {
  return with_text(Type::kStatus, std::move(text));
}
Reply Reply::error(std::string text) {
  return with_text(Type::kError, std::move(text));
}
Reply Reply::string(std::string bytes) {
  return with_text(Type::kString, std::move(bytes));
}

Reply Reply::array(std::vector<Reply> elements) {
  Reply r;
  r.type_ = Type::kArray;
  r.elements_ = std::move(elements);
  return r;
}

std::string Reply::describe() const {
  constexpr size_t kMaxText = 64;
  constexpr size_t kMaxElements = 8;
  auto cut = [&](std::string_view text) {
    return std::string(text.substr(0, kMaxText)) + (text.size() > kMaxText ? "..." : "");
  };
  switch (type_) {
    case Type::kNil: return "nil";
    case Type::kInteger: return std::string("(integer) ").append(std::to_string(integer_));
    case Type::kStatus: return cut(str_);
    case Type::kError: return std::string("(error) ").append(cut(str_));
    case Type::kString: return std::string("\"").append(cut(str_)).append("\"");
    case Type::kArray: {
      std::string out = "[";
      for (size_t i = 0; i < elements_.size() && i < kMaxElements; ++i) {
        if (i > 0) out += ", ";
        out += elements_[i].describe();
      }
      if (elements_.size() > kMaxElements) out += ", ...";
      return out + "]";
    }
  }
  return "?";
}

}  // namespace mtedge::redis
