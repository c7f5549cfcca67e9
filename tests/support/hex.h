// Hex for tests and fuzz targets, over base/hex.h. Test vectors are written as hex text with
// spaces and line breaks for readability; from_hex drops that whitespace and aborts on
// anything base/hex.h refuses (an odd digit count, a non-hex character), since such a
// literal is a broken test rather than a case to handle.
#pragma once

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/hex.h"

namespace mtedge::test {

inline Bytes from_hex(std::string_view text) {
  std::string digits;
  digits.reserve(text.size());
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) digits.push_back(c);
  std::optional<Bytes> bytes = decode_hex(digits);
  if (!bytes) {
    std::fprintf(stderr, "tests/support/hex.h: not hex: \"%.*s\"\n", int(text.size()), text.data());
    std::abort();
  }
  return *std::move(bytes);
}

// Exactly N bytes of hex (aborts on any other length), for keys and nonces.
template <size_t N>
std::array<uint8_t, N> hex_array(std::string_view text) {
  Bytes bytes = from_hex(text);
  if (bytes.size() != N) {
    std::fprintf(stderr, "tests/support/hex.h: %zu bytes of hex, want %zu\n", bytes.size(), N);
    std::abort();
  }
  std::array<uint8_t, N> out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

// Lower-case hex, as base/hex.h writes it.
inline std::string to_hex(ByteView bytes) {
  return encode_hex(bytes);
}

// Upper-case hex, the way docs/spec/wire-notes.md prints its vectors.
inline std::string to_upper_hex(ByteView bytes) {
  std::string text = encode_hex(bytes);
  for (char& c : text) c = char(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace mtedge::test
