// What a username may look like (Telegram's rule): 5 to 32 characters of a-z, A-Z, 0-9 and
// '_', starting with a letter, not ending with '_'.
#pragma once

#include <string_view>

namespace mtedge::backend::embedded::biz {

inline bool valid_username(std::string_view name) {
  if (name.size() < 5 || name.size() > 32 || name.back() == '_') return false;
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!letter(name.front())) return false;
  for (char c : name) {
    if (!letter(c) && !(c >= '0' && c <= '9') && c != '_') return false;
  }
  return true;
}

}  // namespace mtedge::backend::embedded::biz
