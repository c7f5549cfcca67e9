#include "codecs/websocket/ws_frame.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace mtedge::codecs::websocket {
namespace {

bool is_control(Opcode op) {
  return (static_cast<uint8_t>(op) & 0x8) != 0;
}

bool valid_close_code(uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

uint64_t read_be64(const uint8_t* p) {
  return (uint64_t(load_be32(p)) << 32) | load_be32(p + 4);
}

}  // namespace

// ---- decoder ----------------------------------------------------------------------------

bool FrameDecoder::header_complete() {
  const uint8_t b0 = header_[0];
  const uint8_t b1 = header_[1];
  if (b0 & 0x70) return fail(CodecError::kWsProtocolError);  // RSV1..3: no extension agreed
  fin_ = (b0 & 0x80) != 0;
  opcode_ = static_cast<Opcode>(b0 & 0x0f);
  masked_ = (b1 & 0x80) != 0;
  if (masked_ != expect_masked_) return fail(CodecError::kWsProtocolError);
  uint64_t len = b1 & 0x7f;
  size_t off = 2;
  if (len == 126) {
    len = load_be16(&header_[2]);
    off = 4;
    if (len < 126) return fail(CodecError::kWsProtocolError);  // not the minimal form
  } else if (len == 127) {
    len = read_be64(&header_[2]);
    off = 10;
    if ((len >> 63) != 0 || len < 65536) return fail(CodecError::kWsProtocolError);
  }
  if (masked_) {
    std::memcpy(mask_.data(), &header_[off], 4);
    mask_pos_ = 0;
  }
  switch (opcode_) {
    case Opcode::kContinuation:
      if (!in_message_) return fail(CodecError::kWsProtocolError);
      break;
    case Opcode::kText: return fail(CodecError::kWsUnsupportedData);
    case Opcode::kBinary:
      if (in_message_) return fail(CodecError::kWsProtocolError);
      in_message_ = true;
      message_bytes_ = 0;
      break;
    case Opcode::kClose:
    case Opcode::kPing:
    case Opcode::kPong:
      if (!fin_ || len > kMaxControlPayload) return fail(CodecError::kWsProtocolError);
      control_len_ = 0;
      break;
    default: return fail(CodecError::kWsProtocolError);
  }
  // The declared length is checked before a single payload byte is accepted; nothing is
  // ever allocated from it.
  if (!is_control(opcode_) && len > limits_.max_message - message_bytes_) {
    return fail(CodecError::kWsMessageTooBig);
  }
  remaining_ = len;
  return true;
}

bool FrameDecoder::finish_frame(DecoderSink& sink) {
  in_frame_ = false;
  bool go_on = true;
  if (is_control(opcode_)) {
    ByteView payload(control_.data(), control_len_);
    switch (opcode_) {
      case Opcode::kPing: go_on = sink.on_ping(payload); break;
      case Opcode::kPong: go_on = sink.on_pong(payload); break;
      case Opcode::kClose: {
        uint16_t code = kCloseNoStatus;
        std::string_view reason;
        if (control_len_ == 1) return fail(CodecError::kWsProtocolError);
        if (control_len_ >= 2) {
          code = load_be16(control_.data());
          if (!valid_close_code(code)) return fail(CodecError::kWsProtocolError);
          reason = std::string_view(reinterpret_cast<const char*>(control_.data()) + 2,
                                    control_len_ - 2);
        }
        closed_ = true;
        go_on = sink.on_close(code, reason);
        break;
      }
      default: break;
    }
  } else if (fin_) {
    in_message_ = false;
    message_bytes_ = 0;
    go_on = sink.on_message_end();
  }
  if (!go_on) stopped_ = true;
  return go_on;
}

CodecError FrameDecoder::feed(MutableByteView in, DecoderSink& sink, uint8_t** cursor) {
  size_t pos = 0;
  const size_t n = in.size();
  while (pos < n && error_ == CodecError::kNone && !stopped_ && !closed_) {
    if (!in_frame_) {
      size_t take = std::min(header_need_ - header_len_, n - pos);
      std::memcpy(header_.data() + header_len_, in.data() + pos, take);
      header_len_ += take;
      pos += take;
      if (header_len_ < header_need_) break;
      if (header_need_ == 2) {
        size_t len7 = header_[1] & 0x7f;
        size_t need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((header_[1] & 0x80) ? 4 : 0);
        if (need > 2) {
          header_need_ = need;
          continue;
        }
      }
      header_len_ = 0;
      header_need_ = 2;
      if (!header_complete()) break;
      in_frame_ = true;
      if (remaining_ == 0) finish_frame(sink);
      continue;
    }
    size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, n - pos));
    MutableByteView chunk = in.subspan(pos, take);
    pos += take;
    remaining_ -= take;
    if (cursor && !is_control(opcode_)) {
      uint8_t* dst = *cursor;
      if (masked_) {
        apply_mask_move(dst, chunk.data(), take, mask_.data(), mask_pos_);
      } else if (dst != chunk.data()) {
        std::memmove(dst, chunk.data(), take);
      }
      chunk = MutableByteView(dst, take);
      *cursor = dst + take;
    } else if (masked_) {
      apply_mask(chunk, mask_.data(), mask_pos_);
    }
    if (masked_) mask_pos_ = (mask_pos_ + take) & 3;
    if (is_control(opcode_)) {
      std::memcpy(control_.data() + control_len_, chunk.data(), take);  // <= 125 in all
      control_len_ += take;
    } else if (take > 0) {
      message_bytes_ += take;
      if (!sink.on_data(chunk)) {
        stopped_ = true;
        break;
      }
    }
    if (remaining_ == 0) finish_frame(sink);
  }
  return error_;
}

// ---- encoder ----------------------------------------------------------------------------

size_t header_size(uint64_t payload_len, bool masked) {
  return 2 + (payload_len < 126 ? 0 : payload_len < 65536 ? 2 : 8) + (masked ? 4 : 0);
}

size_t write_header(uint8_t* p, bool fin, Opcode opcode, uint64_t payload_len,
                    const uint8_t* mask) {
  p[0] = uint8_t((fin ? 0x80 : 0) | static_cast<uint8_t>(opcode));
  const uint8_t mask_bit = mask ? 0x80 : 0;
  size_t off = 2;
  if (payload_len < 126) {
    p[1] = uint8_t(mask_bit | payload_len);
  } else if (payload_len < 65536) {
    p[1] = uint8_t(mask_bit | 126);
    store_be16(p + 2, uint16_t(payload_len));
    off = 4;
  } else {
    p[1] = uint8_t(mask_bit | 127);
    store_be32(p + 2, uint32_t(payload_len >> 32));
    store_be32(p + 6, uint32_t(payload_len));
    off = 10;
  }
  if (mask) {
    std::memcpy(p + off, mask, 4);
    off += 4;
  }
  return off;
}

void apply_mask(MutableByteView bytes, const uint8_t* mask, size_t pos) {
  apply_mask_move(bytes.data(), bytes.data(), bytes.size(), mask, pos);
}

void apply_mask_move(uint8_t* dst, const uint8_t* src, size_t n, const uint8_t* mask, size_t pos) {
  size_t i = 0;
  // Align to the mask period, then XOR 8 bytes at a time with the rotated key.
  for (; i < n && ((pos + i) & 3) != 0; ++i) dst[i] = src[i] ^ mask[(pos + i) & 3];
  if (n - i >= 8) {
    uint8_t key8[8];
    for (int k = 0; k < 8; ++k) key8[k] = mask[k & 3];
    uint64_t key;
    std::memcpy(&key, key8, 8);
    for (; i + 8 <= n; i += 8) {
      uint64_t v;
      std::memcpy(&v, src + i, 8);  // read the whole word before writing: dst <= src
      v ^= key;
      std::memcpy(dst + i, &v, 8);
    }
  }
  for (; i < n; ++i) dst[i] = src[i] ^ mask[(pos + i) & 3];
}

namespace {

void append_frame(bool fin, Opcode opcode, ByteView payload, Bytes& out, const MaskSource* mask) {
  uint8_t key[4];
  if (mask) store_le32(key, (*mask)());
  uint8_t header[14];
  size_t h = write_header(header, fin, opcode, payload.size(), mask ? key : nullptr);
  size_t at = out.size();
  out.insert(out.end(), header, header + h);
  out.insert(out.end(), payload.begin(), payload.end());
  if (mask) apply_mask(MutableByteView(out.data() + at + h, payload.size()), key, 0);
}

}  // namespace

void encode_message(ByteView payload, Bytes& out, size_t fragment_size, const MaskSource* mask) {
  assert(fragment_size > 0);
  if (payload.empty()) {
    append_frame(true, Opcode::kBinary, payload, out, mask);
    return;
  }
  size_t off = 0;
  while (off < payload.size()) {
    size_t take = std::min(fragment_size, payload.size() - off);
    bool fin = off + take == payload.size();
    append_frame(fin, off == 0 ? Opcode::kBinary : Opcode::kContinuation,
                 payload.subspan(off, take), out, mask);
    off += take;
  }
}

void encode_control(Opcode opcode, ByteView payload, Bytes& out, const MaskSource* mask) {
  append_frame(true, opcode, payload.first(std::min(payload.size(), kMaxControlPayload)), out,
               mask);
}

void encode_close(uint16_t code, std::string_view reason, Bytes& out, const MaskSource* mask) {
  uint8_t payload[kMaxControlPayload];
  store_be16(payload, code);
  size_t n = std::min(reason.size(), kMaxControlPayload - 2);
  if (n > 0) std::memcpy(payload + 2, reason.data(), n);
  append_frame(true, Opcode::kClose, ByteView(payload, 2 + n), out, mask);
}

void wrap_message_in_place(Bytes& out, size_t from, size_t fragment_size) {
  assert(fragment_size > 0 && from <= out.size());
  const size_t len = out.size() - from;
  if (len == 0) return;
  const size_t frames = (len + fragment_size - 1) / fragment_size;
  size_t headers = 0;
  for (size_t i = 0; i < frames; ++i) {
    headers += header_size(std::min(fragment_size, len - i * fragment_size), false);
  }
  out.resize(out.size() + headers);
  uint8_t* base = out.data() + from;
  // Move fragments from the last to the first: each destination lies at or after its
  // source, so nothing is overwritten before it is moved.
  size_t dest_end = len + headers;
  for (size_t i = frames; i-- > 0;) {
    size_t src = i * fragment_size;
    size_t size = std::min(fragment_size, len - src);
    size_t h = header_size(size, false);
    size_t dest = dest_end - size;
    std::memmove(base + dest, base + src, size);
    write_header(base + dest - h, i + 1 == frames, i == 0 ? Opcode::kBinary : Opcode::kContinuation,
                 size, nullptr);
    dest_end = dest - h;
  }
  assert(dest_end == 0);
}

}  // namespace mtedge::codecs::websocket
