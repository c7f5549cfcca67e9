#include "backend-adapters/socket/delimited.h"

namespace mtedge::backend::socket {

std::string_view delimited_error_name(DelimitedError error) {
  switch (error) {
    case DelimitedError::kNone: return "none";
    case DelimitedError::kBadLength: return "bad_length";
    case DelimitedError::kTooLarge: return "message_too_large";
    case DelimitedError::kStopped: return "stopped";
  }
  return "unknown";
}

void append_varint(Bytes& out, uint32_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<uint8_t>(value));
}

size_t DelimitedReader::read_prefix(ByteView data, size_t& length) {
  uint64_t value = 0;
  for (size_t i = 0; i < data.size() && i < kMaxVarintBytes; ++i) {
    value |= uint64_t(data[i] & 0x7f) << (7 * i);
    if ((data[i] & 0x80) == 0) {
      if (value > UINT32_MAX) {
        error_ = DelimitedError::kBadLength;
        return 0;
      }
      if (value > max_message_) {
        error_ = DelimitedError::kTooLarge;
        return 0;
      }
      length = static_cast<size_t>(value);
      return i + 1;
    }
  }
  if (data.size() >= kMaxVarintBytes) error_ = DelimitedError::kBadLength;
  return 0;
}

size_t DelimitedReader::parse(ByteView data, MessageSink& sink) {
  size_t used = 0;
  while (used < data.size()) {
    size_t length = 0;
    size_t prefix = read_prefix(data.subspan(used), length);
    if (prefix == 0 || data.size() - used - prefix < length) break;
    ++messages_;
    if (!sink.on_message(data.subspan(used + prefix, length))) {
      error_ = DelimitedError::kStopped;
      return used + prefix + length;
    }
    used += prefix + length;
  }
  return used;
}

DelimitedError DelimitedReader::feed(ByteView bytes, MessageSink& sink) {
  if (error_ != DelimitedError::kNone) return error_;
  if (!tail_.empty()) {
    // Complete the buffered message with as few bytes as it needs, then go on in place.
    while (!bytes.empty()) {
      size_t length = 0;
      size_t prefix = read_prefix(tail_, length);
      if (error_ != DelimitedError::kNone) return error_;
      size_t want = prefix == 0 ? 1 : prefix + length - tail_.size();
      size_t take = want < bytes.size() ? want : bytes.size();
      tail_.insert(tail_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
      bytes = bytes.subspan(take);
      if (prefix != 0 && tail_.size() == prefix + length) break;
    }
    size_t length = 0;
    size_t prefix = read_prefix(tail_, length);
    if (error_ != DelimitedError::kNone) return error_;
    if (prefix == 0 || tail_.size() < prefix + length) return error_;  // still incomplete
    Bytes whole;
    whole.swap(tail_);
    parse(whole, sink);
    if (error_ != DelimitedError::kNone) return error_;
  }
  size_t used = parse(bytes, sink);
  if (error_ != DelimitedError::kNone) return error_;
  tail_.assign(bytes.begin() + static_cast<std::ptrdiff_t>(used), bytes.end());
  return error_;
}

}  // namespace mtedge::backend::socket
