// Varint-delimited messages (the mtedge.v1 stream framing), sans-io: no sockets, no
// logging, no protobuf. Each message is its length as a base-128 varint followed by that
// many bytes.
//
// Contract of DelimitedReader (the same as codecs::FrameReader):
// - feed() takes any split of the stream (whole, byte by byte, random). Complete messages
//   are handed out straight from the caller's buffer; only an incomplete tail is copied,
//   and the copy grows as bytes arrive, never from a length the peer declared.
// - A length above `max_message` fails with kTooLarge as soon as the varint is complete;
//   a varint longer than 5 bytes or above 2^32-1 fails with kBadLength.
// - Errors are sticky: after one, feed() returns it again without reading.
// - The sink may return false to stop the reader; the rest of that feed() is dropped and
//   the reader is stopped for good (the stream is being torn down).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/bytes.h"

namespace mtedge::backend::socket {

using mtedge::Bytes;
using mtedge::ByteView;

enum class DelimitedError : uint8_t { kNone, kBadLength, kTooLarge, kStopped };
std::string_view delimited_error_name(DelimitedError error);

inline constexpr size_t kMaxVarintBytes = 5;

// Appends `value` as a base-128 varint.
void append_varint(Bytes& out, uint32_t value);
// Appends the length prefix of a `size`-byte message (the caller appends the message).
inline void append_length(Bytes& out, size_t size) {
  append_varint(out, static_cast<uint32_t>(size));
}

class MessageSink {
 public:
  virtual ~MessageSink() = default;
  // `message` is valid only during the call.
  virtual bool on_message(ByteView message) = 0;
};

class DelimitedReader {
 public:
  explicit DelimitedReader(size_t max_message) : max_message_(max_message) {}

  DelimitedError feed(ByteView bytes, MessageSink& sink);

  DelimitedError error() const { return error_; }
  size_t buffered() const { return tail_.size(); }
  size_t messages() const { return messages_; }
  // Frees the tail buffer's memory when it holds nothing.
  void shrink() {
    if (tail_.empty()) Bytes().swap(tail_);
  }

 private:
  // Reads the length prefix at the start of `data`: 0 = need more bytes, else the prefix
  // size (sets `length`); sets error_ on a bad or too large length.
  size_t read_prefix(ByteView data, size_t& length);
  // Parses whole messages from `data`; returns the bytes consumed.
  size_t parse(ByteView data, MessageSink& sink);

  size_t max_message_;
  Bytes tail_;
  size_t messages_ = 0;
  DelimitedError error_ = DelimitedError::kNone;
};

}  // namespace mtedge::backend::socket
