// Writer of TL primitives appending to a caller-owned Bytes (the inverse of TlReader).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/bytes.h"
#include "mtproto/tl/tl_reader.h"

namespace mtedge::mtproto {

class TlWriter {
 public:
  explicit TlWriter(Bytes& out) : out_(out) {}

  Bytes& buffer() { return out_; }
  size_t size() const { return out_.size(); }

  void write_int32(int32_t v);
  void write_uint32(uint32_t v);
  void write_int64(int64_t v);
  void write_uint64(uint64_t v);
  void write_double(double v);
  void write_int128(const std::array<uint8_t, 16>& v) { write_raw({v.data(), v.size()}); }
  void write_int256(const std::array<uint8_t, 32>& v) { write_raw({v.data(), v.size()}); }
  // TL bytes/string with its length prefix and zero padding. Data longer than 2^24-1 bytes
  // cannot be represented: asserted (a programmer error; callers bound their sizes).
  void write_bytes(ByteView data);
  void write_string(std::string_view s) { write_bytes(as_bytes(s)); }
  void write_bool(bool v) { write_uint32(v ? kTlBoolTrue : kTlBoolFalse); }
  void write_vector_header(uint32_t count) {  // boxed: 0x1cb5c415 + count
    write_uint32(kTlVectorId);
    write_uint32(count);
  }
  void write_bare_vector_count(uint32_t count) { write_uint32(count); }
  void write_raw(ByteView data) { append(out_, data); }

  // Reserves 4 bytes and returns their offset, to be filled by patch_int32 (e.g. a length that
  // is known only after the body is written).
  size_t reserve_int32();
  void patch_int32(size_t offset, int32_t v);

 private:
  Bytes& out_;
};

// Serialized size of TL bytes of `size` data bytes (prefix + data + padding).
size_t tl_bytes_size(size_t size);

}  // namespace mtedge::mtproto
