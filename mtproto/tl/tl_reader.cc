#include "mtproto/tl/tl_reader.h"

#include <cstring>

namespace mtedge::mtproto {

void TlReader::fail(const char* why) {
  if (error_ == nullptr) error_ = why;
}

ByteView TlReader::rest() const {
  if (!ok()) return {};
  return data_.subspan(pos_);
}

const uint8_t* TlReader::take(size_t size) {
  if (!ok()) return nullptr;
  if (size > remaining()) {
    fail("tl: short input");
    return nullptr;
  }
  const uint8_t* p = data_.data() + pos_;
  pos_ += size;
  return p;
}

int32_t TlReader::read_int32() {
  return static_cast<int32_t>(read_uint32());
}

uint32_t TlReader::read_uint32() {
  const uint8_t* p = take(4);
  return p ? load_le32(p) : 0;
}

int64_t TlReader::read_int64() {
  return static_cast<int64_t>(read_uint64());
}

uint64_t TlReader::read_uint64() {
  const uint8_t* p = take(8);
  return p ? load_le64(p) : 0;
}

double TlReader::read_double() {
  uint64_t bits = read_uint64();
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

std::array<uint8_t, 16> TlReader::read_int128() {
  std::array<uint8_t, 16> v{};
  if (const uint8_t* p = take(16)) std::memcpy(v.data(), p, 16);
  return v;
}

std::array<uint8_t, 32> TlReader::read_int256() {
  std::array<uint8_t, 32> v{};
  if (const uint8_t* p = take(32)) std::memcpy(v.data(), p, 32);
  return v;
}

ByteView TlReader::read_bytes() {
  if (!ok()) return {};
  const size_t start = pos_;
  const uint8_t* first = take(1);
  if (first == nullptr) return {};
  size_t size = *first;
  size_t header = 1;
  if (size == 254) {
    const uint8_t* len = take(3);
    if (len == nullptr) return {};
    size = load_le24(len);
    header = 4;
  } else if (size == 255) {
    fail("tl: bad bytes length prefix");
    return {};
  }
  const size_t padded = (header + size + 3) & ~size_t{3};
  if (padded - header > remaining()) {
    fail("tl: bytes longer than input");
    return {};
  }
  ByteView out = data_.subspan(start + header, size);
  pos_ = start + padded;
  return out;
}

std::string_view TlReader::read_string() {
  ByteView b = read_bytes();
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

bool TlReader::read_bool() {
  uint32_t id = read_uint32();
  if (id == kTlBoolTrue) return true;
  if (id != kTlBoolFalse) fail("tl: not a Bool");
  return false;
}

bool TlReader::expect(uint32_t id) {
  uint32_t got = read_uint32();
  if (ok() && got != id) fail("tl: unexpected constructor");
  return ok();
}

uint32_t TlReader::read_vector_header(size_t min_item_size) {
  if (!expect(kTlVectorId)) return 0;
  return read_bare_vector_count(min_item_size);
}

uint32_t TlReader::read_bare_vector_count(size_t min_item_size) {
  uint32_t count = read_uint32();
  if (!ok()) return 0;
  // A count the rest of the input cannot hold is a lie; items of size 0 are not a thing in TL.
  const size_t unit = min_item_size == 0 ? 1 : min_item_size;
  if (count > remaining() / unit) {
    fail("tl: vector count larger than input");
    return 0;
  }
  return count;
}

ByteView TlReader::read_raw(size_t size) {
  const uint8_t* p = take(size);
  return p ? ByteView(p, size) : ByteView();
}

void TlReader::skip(size_t size) {
  take(size);
}

}  // namespace mtedge::mtproto
