// Behaviour every TCP framer shares, checked the same way for each: round trips in both
// roles under every split, many frames per feed, 1 MiB frames, sticky errors, a stopping
// sink, and the reader's buffer being released after a split frame.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "tests/support/framer_harness.h"

namespace mtedge::codecs::test {

using FramerFactory = std::function<std::unique_ptr<Framer>(Role)>;

struct ConformanceOptions {
  bool quick_ack_request_bit = true;  // the client role can set the request bit
  bool quick_ack_token = true;        // the server role has a quick-ack token form
};

inline const std::vector<size_t>& conformance_sizes() {
  static const std::vector<size_t> sizes = {4,        8,    16,   60,    64,        0x7e * 4,
                                            0x7f * 4, 1000, 4096, 16384, (1u << 20)};
  return sizes;
}

inline void check_client_to_server(const FramerFactory& make, const ConformanceOptions& opt) {
  auto client = make(Role::kClient);
  Bytes stream;
  std::vector<Event> expected;
  uint32_t seed = 1;
  for (size_t size : conformance_sizes()) {
    for (bool ack : {false, true}) {
      Bytes payload = make_payload(size, seed++);
      client->encode_packet(payload, ack, stream);
      expected.push_back(packet(payload, ack && opt.quick_ack_request_bit));
    }
  }
  for (Split split : kAllSplits) {
    auto server = make(Role::kServer);
    FeedResult r = feed(*server, stream, split);
    EXPECT_EQ(r.error, CodecError::kNone) << split_name(split);
    EXPECT_EQ(r.buffered, 0u) << split_name(split);
    ASSERT_EQ(r.events.size(), expected.size()) << split_name(split);
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_TRUE(r.events[i] == expected[i]) << split_name(split) << " event " << i;
    }
  }
}

inline void check_server_to_client(const FramerFactory& make, const ConformanceOptions& opt) {
  auto server = make(Role::kServer);
  Bytes stream;
  std::vector<Event> expected;
  uint32_t seed = 100;
  for (size_t size : conformance_sizes()) {
    if (size < 16) continue;  // shorter server payloads are transport units, not packets
    Bytes payload = make_payload(size, seed++);
    server->encode_packet(payload, /*quick_ack_request=*/true, stream);  // ignored by a server
    expected.push_back(packet(payload));
    server->encode_quick_ack(0x2bcdef01u + seed, stream);
    if (opt.quick_ack_token) expected.push_back(quick_ack((0x2bcdef01u + seed) | 0x80000000u));
  }
  for (int32_t code : {-404, -429, -444}) {
    server->encode_transport_error(code, stream);
    expected.push_back(transport_error(code));
  }
  for (Split split : kAllSplits) {
    auto client = make(Role::kClient);
    FeedResult r = feed(*client, stream, split);
    EXPECT_EQ(r.error, CodecError::kNone) << split_name(split);
    ASSERT_EQ(r.events.size(), expected.size()) << split_name(split);
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_TRUE(r.events[i] == expected[i]) << split_name(split) << " event " << i;
    }
  }
}

inline void check_many_frames_in_one_feed(const FramerFactory& make) {
  auto client = make(Role::kClient);
  Bytes stream;
  for (uint32_t i = 0; i < 2000; ++i) client->encode_packet(make_payload(64, i), false, stream);
  auto server = make(Role::kServer);
  FrameReader reader(*server, {});
  RecordingSink sink;
  EXPECT_EQ(reader.feed(stream, sink), CodecError::kNone);
  ASSERT_EQ(sink.events.size(), 2000u);
  EXPECT_EQ(sink.events[1999].payload, make_payload(64, 1999));
  EXPECT_EQ(reader.buffered(), 0u);
  EXPECT_EQ(reader.buffer_capacity(), 0u);  // nothing was split: nothing was copied
}

// A 1 MiB frame fed in two pieces is copied into the reader's tail; once it is delivered
// the tail's memory is released without the caller asking.
inline void check_buffer_released_after_split_frame(const FramerFactory& make) {
  auto client = make(Role::kClient);
  Bytes stream;
  Bytes payload = make_payload(1u << 20, 7);
  client->encode_packet(payload, false, stream);
  auto server = make(Role::kServer);
  FrameReader reader(*server, {});
  RecordingSink sink;
  Bytes first(stream.begin(), stream.begin() + 1000);
  Bytes second(stream.begin() + 1000, stream.end());
  EXPECT_EQ(reader.feed(first, sink), CodecError::kNone);
  EXPECT_EQ(reader.buffered(), 1000u);
  EXPECT_EQ(reader.feed(second, sink), CodecError::kNone);
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0].payload, payload);
  EXPECT_EQ(reader.buffered(), 0u);
  EXPECT_LE(reader.buffer_capacity(), FrameReader::kRetainedCapacity);
}

// `bad` makes a server-role reader fail with `expected`; after that, even valid input
// returns the same error and delivers nothing.
inline void check_sticky_error(const FramerFactory& make, ByteView bad, CodecError expected) {
  auto client = make(Role::kClient);
  Bytes good;
  client->encode_packet(make_payload(32), false, good);
  auto server = make(Role::kServer);
  FrameReader reader(*server, {});
  RecordingSink sink;
  Bytes bad_copy(bad.begin(), bad.end());
  EXPECT_EQ(reader.feed(bad_copy, sink), expected);
  EXPECT_EQ(reader.feed(good, sink), expected);
  EXPECT_EQ(reader.error(), expected);
  EXPECT_TRUE(sink.events.empty());
}

// A sink that returns false stops the reader: the rest of that feed and later feeds are
// dropped without error.
inline void check_sink_stop(const FramerFactory& make) {
  auto client = make(Role::kClient);
  Bytes stream;
  for (uint32_t i = 0; i < 3; ++i) client->encode_packet(make_payload(32, i), false, stream);
  auto server = make(Role::kServer);
  FrameReader reader(*server, {});
  RecordingSink sink;
  sink.stop_after = 1;
  EXPECT_EQ(reader.feed(stream, sink), CodecError::kNone);
  EXPECT_EQ(sink.events.size(), 1u);
  Bytes more = stream;
  EXPECT_EQ(reader.feed(more, sink), CodecError::kNone);
  EXPECT_EQ(sink.events.size(), 1u);
}

// A declared size above the cap fails as soon as the header is in, before the payload.
// `header` is a server-role frame header declaring `declared` payload bytes.
inline void check_too_large_before_payload(const FramerFactory& make, ByteView header) {
  auto server = make(Role::kServer);
  FrameLimits limits;
  limits.max_frame = 64 * 1024;
  limits.first_frame_max = 64 * 1024;
  FrameReader reader(*server, limits);
  RecordingSink sink;
  Bytes copy(header.begin(), header.end());
  EXPECT_EQ(reader.feed(copy, sink), CodecError::kFrameTooLarge);
  EXPECT_TRUE(sink.events.empty());
}

// Before the first packet the smaller cap applies; after it, the larger one.
inline void check_first_frame_cap(const FramerFactory& make) {
  FrameLimits limits;
  limits.first_frame_max = 1024;
  limits.max_frame = 64 * 1024;
  auto client = make(Role::kClient);
  Bytes big;
  client->encode_packet(make_payload(4096), false, big);
  for (Split split : kAllSplits) {
    auto server = make(Role::kServer);
    FeedResult r = feed(*server, big, split, limits);
    EXPECT_EQ(r.error, CodecError::kFrameTooLarge) << split_name(split);
    EXPECT_TRUE(r.events.empty()) << split_name(split);
  }
  auto client2 = make(Role::kClient);
  Bytes ok;
  client2->encode_packet(make_payload(512), false, ok);
  client2->encode_packet(make_payload(4096), false, ok);
  for (Split split : kAllSplits) {
    auto server = make(Role::kServer);
    FeedResult r = feed(*server, ok, split, limits);
    EXPECT_EQ(r.error, CodecError::kNone) << split_name(split);
    EXPECT_EQ(r.events.size(), 2u) << split_name(split);
  }
}

}  // namespace mtedge::codecs::test
