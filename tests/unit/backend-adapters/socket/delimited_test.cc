// The delimited framing fed whole, byte by byte and in random splits (fixed seed), its caps
// and its sticky errors.
#include "backend-adapters/socket/delimited.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace mtedge::backend::socket {
namespace {

struct Collect : MessageSink {
  std::vector<Bytes> messages;
  size_t stop_after = SIZE_MAX;
  bool on_message(ByteView message) override {
    messages.emplace_back(message.begin(), message.end());
    return messages.size() < stop_after;
  }
};

Bytes message_of(size_t size, uint8_t seed) {
  Bytes out(size);
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<uint8_t>(seed + i * 31);
  return out;
}

// Sizes around every varint length boundary, and empty messages.
std::vector<Bytes> sample_messages() {
  std::vector<Bytes> out;
  uint8_t seed = 1;
  for (size_t size : {0, 1, 5, 127, 128, 129, 300, 16383, 16384, 70000, 0, 2}) {
    out.push_back(message_of(size, seed++));
  }
  return out;
}

Bytes encode_all(const std::vector<Bytes>& messages) {
  Bytes stream;
  for (const Bytes& m : messages) {
    append_length(stream, m.size());
    stream.insert(stream.end(), m.begin(), m.end());
  }
  return stream;
}

TEST(Varint, KnownEncodings) {
  struct Case {
    uint32_t value;
    Bytes bytes;
  };
  for (const Case& c :
       {Case{0, {0x00}}, Case{1, {0x01}}, Case{127, {0x7f}}, Case{128, {0x80, 0x01}},
        Case{300, {0xac, 0x02}}, Case{16384, {0x80, 0x80, 0x01}},
        Case{UINT32_MAX, {0xff, 0xff, 0xff, 0xff, 0x0f}}}) {
    Bytes out;
    append_varint(out, c.value);
    EXPECT_EQ(out, c.bytes) << c.value;
  }
}

TEST(DelimitedReader, Whole) {
  auto messages = sample_messages();
  Bytes stream = encode_all(messages);
  DelimitedReader reader(1 << 20);
  Collect sink;
  EXPECT_EQ(reader.feed(stream, sink), DelimitedError::kNone);
  EXPECT_EQ(sink.messages, messages);
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(DelimitedReader, ByteByByte) {
  auto messages = sample_messages();
  Bytes stream = encode_all(messages);
  DelimitedReader reader(1 << 20);
  Collect sink;
  for (uint8_t b : stream) {
    ASSERT_EQ(reader.feed(ByteView(&b, 1), sink), DelimitedError::kNone);
  }
  EXPECT_EQ(sink.messages, messages);
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(DelimitedReader, SplitAtEveryByte) {
  std::vector<Bytes> messages = {message_of(3, 1), message_of(200, 2), message_of(0, 3),
                                 message_of(130, 4)};
  Bytes stream = encode_all(messages);
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    DelimitedReader reader(1 << 20);
    Collect sink;
    ByteView all(stream);
    ASSERT_EQ(reader.feed(all.first(cut), sink), DelimitedError::kNone);
    ASSERT_EQ(reader.feed(all.subspan(cut), sink), DelimitedError::kNone);
    EXPECT_EQ(sink.messages, messages) << "cut at " << cut;
  }
}

TEST(DelimitedReader, RandomSplits) {
  auto messages = sample_messages();
  Bytes stream = encode_all(messages);
  std::mt19937 rng(20240611);
  for (int round = 0; round < 200; ++round) {
    DelimitedReader reader(1 << 20);
    Collect sink;
    size_t at = 0;
    while (at < stream.size()) {
      size_t n = std::min(stream.size() - at, size_t(rng() % 400) + 1);
      ASSERT_EQ(reader.feed(ByteView(stream).subspan(at, n), sink), DelimitedError::kNone);
      at += n;
    }
    ASSERT_EQ(sink.messages, messages) << "round " << round;
  }
}

TEST(DelimitedReader, TooLargeFailsAtTheLength) {
  DelimitedReader reader(100);
  Collect sink;
  Bytes stream;
  append_length(stream, 101);  // no body: the error comes before any of it arrives
  EXPECT_EQ(reader.feed(stream, sink), DelimitedError::kTooLarge);
  EXPECT_TRUE(sink.messages.empty());
  // Sticky.
  Bytes good;
  append_length(good, 1);
  good.push_back(7);
  EXPECT_EQ(reader.feed(good, sink), DelimitedError::kTooLarge);
  EXPECT_TRUE(sink.messages.empty());
}

TEST(DelimitedReader, TooLargeSplitAcrossFeeds) {
  DelimitedReader reader(1000);
  Collect sink;
  Bytes stream;
  append_length(stream, 5000);  // two varint bytes
  EXPECT_EQ(reader.feed(ByteView(stream).first(1), sink), DelimitedError::kNone);
  EXPECT_EQ(reader.feed(ByteView(stream).subspan(1), sink), DelimitedError::kTooLarge);
}

TEST(DelimitedReader, OverlongVarint) {
  for (Bytes bad :
       {Bytes{0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, Bytes{0xff, 0xff, 0xff, 0xff, 0x1f}}) {
    DelimitedReader whole(SIZE_MAX);
    Collect sink;
    EXPECT_EQ(whole.feed(bad, sink), DelimitedError::kBadLength);
    DelimitedReader bytewise(SIZE_MAX);
    DelimitedError error = DelimitedError::kNone;
    for (uint8_t b : bad) {
      error = bytewise.feed(ByteView(&b, 1), sink);
      if (error != DelimitedError::kNone) break;
    }
    EXPECT_EQ(error, DelimitedError::kBadLength);
  }
}

TEST(DelimitedReader, NeverBuffersMoreThanArrived) {
  DelimitedReader reader(64 << 20);
  Collect sink;
  Bytes stream;
  append_length(stream, 60 << 20);
  stream.push_back(1);
  EXPECT_EQ(reader.feed(stream, sink), DelimitedError::kNone);
  EXPECT_EQ(reader.buffered(), stream.size());
}

TEST(DelimitedReader, SinkStopsTheReader) {
  auto messages = sample_messages();
  Bytes stream = encode_all(messages);
  DelimitedReader reader(1 << 20);
  Collect sink;
  sink.stop_after = 2;
  EXPECT_EQ(reader.feed(stream, sink), DelimitedError::kStopped);
  EXPECT_EQ(sink.messages.size(), 2u);
  EXPECT_EQ(reader.feed(stream, sink), DelimitedError::kStopped);
  EXPECT_EQ(sink.messages.size(), 2u);
}

}  // namespace
}  // namespace mtedge::backend::socket
