// Bounds-checked reader of TL primitives (docs/spec/wire-notes.md §7.2) over a caller-owned buffer.
//
// Every read checks the remaining length first. The first failure (short input, a length or
// count that lies, a wrong constructor) makes the reader fail: the error is sticky, every later
// read returns a zero value / empty view and does not move, and ok() stays false. Typical use:
// read a whole object, then check ok() once. Views returned by read_bytes() and friends point
// into the input buffer, which must outlive them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/bytes.h"

namespace mtedge::mtproto {

inline constexpr uint32_t kTlVectorId = 0x1cb5c415;
inline constexpr uint32_t kTlBoolTrue = 0x997275b5;
inline constexpr uint32_t kTlBoolFalse = 0xbc799737;

class TlReader {
 public:
  explicit TlReader(ByteView data) : data_(data) {}
  // The reader keeps a view: reading from a temporary buffer would dangle.
  explicit TlReader(Bytes&& temporary) = delete;

  bool ok() const { return error_ == nullptr; }
  // Static description of the first failure ("short input", ...), or nullptr while ok().
  const char* error() const { return error_; }
  // Marks the reader failed (e.g. a schema-level check of the caller); keeps the first error.
  void fail(const char* why);

  size_t position() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool at_end() const { return pos_ == data_.size(); }
  // Unread bytes (empty after a failure).
  ByteView rest() const;

  int32_t read_int32();
  uint32_t read_uint32();  // same wire form as int, e.g. constructor ids
  int64_t read_int64();
  uint64_t read_uint64();
  double read_double();
  std::array<uint8_t, 16> read_int128();
  std::array<uint8_t, 32> read_int256();

  // TL bytes/string: 1-byte length (< 254) or 0xfe + 3-byte LE length, then data, then zero
  // padding to a multiple of 4 (padding bytes are skipped, their values are not checked).
  // 0xff as a length byte is an error.
  ByteView read_bytes();
  std::string_view read_string();

  // Boxed Bool: boolTrue / boolFalse; any other constructor is an error.
  bool read_bool();

  // Reads a constructor id and fails unless it equals `id`. Returns ok().
  bool expect(uint32_t id);

  // Vector headers: boxed (0x1cb5c415 then count) or bare (count only). A count is rejected
  // unless count * min_item_size <= remaining(), so a lying count cannot make callers reserve
  // memory or loop past the input. Returns 0 on failure.
  uint32_t read_vector_header(size_t min_item_size = 4);
  uint32_t read_bare_vector_count(size_t min_item_size = 4);

  // `size` raw bytes (no TL length prefix, no padding).
  ByteView read_raw(size_t size);
  // Skips `size` bytes; fails if fewer remain.
  void skip(size_t size);

 private:
  const uint8_t* take(size_t size);  // nullptr (and failure) if fewer than size remain

  ByteView data_;
  size_t pos_ = 0;
  const char* error_ = nullptr;
};

}  // namespace mtedge::mtproto
