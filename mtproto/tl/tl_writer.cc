#include "mtproto/tl/tl_writer.h"

#include <cassert>
#include <cstring>

namespace mtedge::mtproto {

void TlWriter::write_int32(int32_t v) {
  write_uint32(static_cast<uint32_t>(v));
}
void TlWriter::write_uint32(uint32_t v) {
  append_le32(out_, v);
}
void TlWriter::write_int64(int64_t v) {
  write_uint64(static_cast<uint64_t>(v));
}
void TlWriter::write_uint64(uint64_t v) {
  append_le32(out_, uint32_t(v));
  append_le32(out_, uint32_t(v >> 32));
}
void TlWriter::write_double(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  write_uint64(bits);
}

void TlWriter::write_bytes(ByteView data) {
  const size_t size = data.size();
  assert(size < (size_t{1} << 24));
  size_t header;
  if (size < 254) {
    out_.push_back(uint8_t(size));
    header = 1;
  } else {
    out_.push_back(254);
    out_.push_back(uint8_t(size));
    out_.push_back(uint8_t(size >> 8));
    out_.push_back(uint8_t(size >> 16));
    header = 4;
  }
  append(out_, data);
  const size_t pad = (4 - (header + size) % 4) % 4;
  out_.insert(out_.end(), pad, 0);
}

size_t TlWriter::reserve_int32() {
  const size_t offset = out_.size();
  out_.insert(out_.end(), 4, 0);
  return offset;
}

void TlWriter::patch_int32(size_t offset, int32_t v) {
  assert(offset + 4 <= out_.size());
  store_le32(out_.data() + offset, static_cast<uint32_t>(v));
}

size_t tl_bytes_size(size_t size) {
  const size_t header = size < 254 ? 1 : 4;
  return (header + size + 3) & ~size_t{3};
}

}  // namespace mtedge::mtproto
