#include "codecs/obfuscated/tls_record_stage.h"

#include <algorithm>
#include <cstring>

namespace mtedge::codecs::obfuscated {

MutableByteView TlsRecordStage::inbound(MutableByteView in, CodecError& error) {
  if (error_ != CodecError::kNone) {
    error = error_;
    return {};
  }
  uint8_t* data = in.data();
  const size_t size = in.size();
  size_t read = 0;
  size_t write = 0;  // payload compacted to data[0, write)

  if (pass_through_ > 0) {
    size_t n = std::min(pass_through_, size);
    pass_through_ -= n;
    read = write = n;
  }
  while (read < size) {
    if (payload_left_ > 0) {
      size_t n = std::min(payload_left_, size - read);
      if (in_ccs_) {
        if (data[read] != 0x01) {  // the ChangeCipherSpec payload is always 01
          error_ = CodecError::kTlsBadRecord;
          break;
        }
        read += 1;
        payload_left_ = 0;
        in_ccs_ = false;
        continue;
      }
      if (write != read) std::memmove(data + write, data + read, n);
      write += n;
      read += n;
      payload_left_ -= n;
      continue;
    }
    // Collect a 5-byte header, possibly across feeds; check each byte as it arrives so a
    // stream that is not records fails at its first wrong byte.
    uint8_t b = data[read++];
    size_t at = header_have_;
    header_[header_have_++] = b;
    bool ok = true;
    if (at == 0)
      ok = b == 0x17 || (b == 0x14 && options_.accept_leading_ccs && !seen_record_);
    else if (at == 1)
      ok = b == 0x03;
    else if (at == 2)
      ok = b == 0x03;
    if (!ok) {
      error_ = CodecError::kTlsBadRecord;
      break;
    }
    if (header_have_ < 5) continue;
    header_have_ = 0;
    size_t length = load_be16(header_ + 3);
    seen_record_ = true;
    ++records_in_;
    if (header_[0] == 0x14) {
      if (length != 1) {
        error_ = CodecError::kTlsBadRecord;
        break;
      }
      in_ccs_ = true;
      payload_left_ = 1;
      continue;
    }
    if (length > kTlsMaxRecordPayload) {
      error_ = CodecError::kTlsBadRecord;
      break;
    }
    payload_left_ = length;
  }
  if (error_ != CodecError::kNone) {
    error = error_;
    return {};
  }
  return in.first(write);
}

void TlsRecordStage::outbound(Bytes& out, size_t from) {
  if (from >= out.size()) return;
  const size_t n = out.size() - from;
  const size_t max = std::max<size_t>(1, options_.max_out_record);
  const size_t records = (n + max - 1) / max;
  const size_t ccs = options_.send_leading_ccs && !ccs_sent_ ? 6 : 0;
  ccs_sent_ = ccs_sent_ || ccs > 0;
  out.resize(out.size() + ccs + records * 5);
  uint8_t* base = out.data() + from;
  // Move chunks back to front so nothing is overwritten before it moves.
  for (size_t r = records; r-- > 0;) {
    size_t src = r * max;
    size_t len = std::min(max, n - src);
    size_t dst = ccs + r * (max + 5);
    std::memmove(base + dst + 5, base + src, len);
    base[dst] = 0x17;
    base[dst + 1] = 0x03;
    base[dst + 2] = 0x03;
    store_be16(base + dst + 3, uint16_t(len));
  }
  if (ccs > 0) {
    static const uint8_t kCcs[6] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};
    std::memcpy(base, kCcs, sizeof kCcs);
  }
  records_out_ += records;
}

}  // namespace mtedge::codecs::obfuscated
