// Helpers shared by the obfuscated2 / fake-TLS tests.
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "base/bytes.h"

namespace mtedge::codecs::obfuscated::test {

inline Bytes from_hex(const std::string& hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(uint8_t(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

inline std::string to_hex(ByteView b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) {
    s.push_back(d[c >> 4]);
    s.push_back(d[c & 15]);
  }
  return s;
}

inline Bytes read_vector(const std::string& name) {
  std::ifstream in(std::string(MTEDGE_VECTORS_DIR) + "/" + name, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline std::array<uint8_t, 16> test_key() {
  return {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
          0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
}

// Splits of n bytes: whole, byte by byte, and random pieces with a fixed seed.
inline std::vector<std::vector<size_t>> splits(size_t n, uint32_t seed = 42) {
  std::vector<std::vector<size_t>> out;
  out.push_back({n});
  out.push_back(std::vector<size_t>(n, 1));
  std::mt19937 rng(seed);
  for (int round = 0; round < 4; ++round) {
    std::vector<size_t> parts;
    size_t left = n;
    while (left > 0) {
      size_t p = std::min<size_t>(left, 1 + rng() % 37);
      parts.push_back(p);
      left -= p;
    }
    out.push_back(parts);
  }
  return out;
}

}  // namespace mtedge::codecs::obfuscated::test
