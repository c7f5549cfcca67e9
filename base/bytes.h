// Byte views, owned buffers and little/big-endian helpers shared by every codec.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

namespace mtedge {

using ByteView = std::span<const uint8_t>;
using MutableByteView = std::span<uint8_t>;
using Bytes = std::vector<uint8_t>;

// Whether a drained write buffer of this capacity is worth keeping for the connection's next
// writes (until it goes quiet): only in the band where allocating it again would fault in
// fresh pages on every frame. Smaller buffers come back cheaply from malloc's free lists;
// larger ones (a rare big frame) should not stay pinned.
inline bool keep_drained_buffer(size_t capacity) {
  return capacity > 4096 && capacity <= 256 * 1024;
}

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

inline uint16_t load_le16(const uint8_t* p) {
  return uint16_t(p[0] | (p[1] << 8));
}
inline uint32_t load_le24(const uint8_t* p) {
  return p[0] | (p[1] << 8) | (uint32_t(p[2]) << 16);
}
inline uint32_t load_le32(const uint8_t* p) {
  return p[0] | (p[1] << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
inline uint64_t load_le64(const uint8_t* p) {
  return uint64_t(load_le32(p)) | (uint64_t(load_le32(p + 4)) << 32);
}
inline uint16_t load_be16(const uint8_t* p) {
  return uint16_t((p[0] << 8) | p[1]);
}
inline uint32_t load_be24(const uint8_t* p) {
  return (uint32_t(p[0]) << 16) | (p[1] << 8) | p[2];
}
inline uint32_t load_be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}

inline void store_le32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
  p[2] = uint8_t(v >> 16);
  p[3] = uint8_t(v >> 24);
}
inline void store_be16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
inline void store_be32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}

// Appends by resize + memcpy rather than vector::insert: g++ 12 at -O3 reports false
// -Wstringop-overflow/-Warray-bounds on inlined range inserts into a reserved vector.
// `bytes` may view `out` itself.
inline void append(Bytes& out, ByteView bytes) {
  if (bytes.empty()) return;
  const size_t at = out.size();
  const uint8_t* src = bytes.data();
  const bool inside = !out.empty() && src >= out.data() && src < out.data() + at;
  const size_t offset = inside ? size_t(src - out.data()) : 0;
  out.resize(at + bytes.size());
  std::memcpy(out.data() + at, inside ? out.data() + offset : src, bytes.size());
}
inline void append_le32(Bytes& out, uint32_t v) {
  const size_t at = out.size();
  out.resize(at + 4);
  store_le32(out.data() + at, v);
}
inline void append_be32(Bytes& out, uint32_t v) {
  const size_t at = out.size();
  out.resize(at + 4);
  store_be32(out.data() + at, v);
}

}  // namespace mtedge
