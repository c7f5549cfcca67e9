#include "codecs/abridged/abridged.h"

#include <gtest/gtest.h>

#include "tests/support/framer_conformance.h"
#include "tests/support/framer_harness.h"
#include "tests/support/hex.h"
#include "tests/support/vectors.h"

namespace mtedge::codecs::abridged {
namespace {

using namespace mtedge::codecs::test;
using namespace mtedge::test;

const FramerFactory kMake = [](Role role) { return std::make_unique<AbridgedFramer>(role); };

Bytes req_pq_multi() {
  return from_hex(
      "0000000000000000 D4720600503DC565 14000000 F18E7EBE 406709F612FADFBEC3F0289D0AA67EEF");
}

Bytes encode(Role role, size_t size, bool ack) {
  AbridgedFramer f(role);
  Bytes out;
  f.encode_packet(make_payload(size), ack, out);
  return out;
}

TEST(AbridgedTest, QuickAckTokenIsBigEndianSpecVector) {
  AbridgedFramer f(Role::kServer);
  Bytes out;
  f.encode_quick_ack(0xa1abe8da, out);
  EXPECT_EQ(out, from_hex("a1 ab e8 da"));
  EXPECT_EQ(out, read_vector("abridged_quick_ack.bin"));
}

TEST(AbridgedTest, QuickAckTokenAlwaysHasMsbInFirstByte) {
  AbridgedFramer f(Role::kServer);
  Bytes out;
  f.encode_quick_ack(0x01020304, out);
  EXPECT_EQ(out, from_hex("81 02 03 04"));
}

TEST(AbridgedTest, TransportErrorIsAFourBytePayloadFrame) {
  AbridgedFramer f(Role::kServer);
  Bytes out;
  f.encode_transport_error(-404, out);
  EXPECT_EQ(out, from_hex("01 6c fe ff ff"));
  EXPECT_EQ(out, read_vector("abridged_error_404.bin"));
  out.clear();
  f.encode_transport_error(-429, out);
  EXPECT_EQ(out, from_hex("01 53 fe ff ff"));
  out.clear();
  f.encode_transport_error(-444, out);
  EXPECT_EQ(out, from_hex("01 44 fe ff ff"));
}

TEST(AbridgedTest, TagIsEf) {
  AbridgedFramer f(Role::kClient);
  Bytes out;
  f.encode_tag(out);
  EXPECT_EQ(out, from_hex("ef"));
}

TEST(AbridgedTest, DecodesSpecVectorInEverySplit) {
  for (Split split : kAllSplits) {
    AbridgedFramer f(Role::kServer);
    FeedResult r = feed(f, read_vector("abridged_req_pq_multi.bin"), split);
    EXPECT_EQ(r.error, CodecError::kNone);
    ASSERT_EQ(r.events.size(), 1u) << split_name(split);
    EXPECT_TRUE(r.events[0] == packet(req_pq_multi(), false));

    AbridgedFramer g(Role::kServer);
    r = feed(g, read_vector("abridged_req_pq_multi_quick_ack.bin"), split);
    ASSERT_EQ(r.events.size(), 1u) << split_name(split);
    EXPECT_TRUE(r.events[0] == packet(req_pq_multi(), true));
  }
}

TEST(AbridgedTest, ShortFormBelow7fWordsLongFormFrom7f) {
  EXPECT_EQ(encode(Role::kServer, 4, false)[0], 0x01);
  Bytes s = encode(Role::kServer, 0x7e * 4, false);
  EXPECT_EQ(s.size(), 1u + 0x7e * 4);
  EXPECT_EQ(s[0], 0x7e);
  Bytes l = encode(Role::kServer, 0x7f * 4, false);
  EXPECT_EQ(l.size(), 4u + 0x7f * 4);
  EXPECT_EQ(Bytes(l.begin(), l.begin() + 4), from_hex("7f 7f 00 00"));
  Bytes m = encode(Role::kServer, 1u << 20, false);
  EXPECT_EQ(Bytes(m.begin(), m.begin() + 4), from_hex("7f 00 00 04"));
}

TEST(AbridgedTest, ClientSetsQuickAckBitInBothForms) {
  EXPECT_EQ(encode(Role::kClient, 8, true)[0], 0x82);
  Bytes l = encode(Role::kClient, 0x80 * 4, true);
  EXPECT_EQ(Bytes(l.begin(), l.begin() + 4), from_hex("ff 80 00 00"));
}

TEST(AbridgedTest, ServerNeverEmitsFirstByteWithMsbSet) {
  for (size_t words = 1; words < 0x300; ++words) {
    Bytes out = encode(Role::kServer, words * 4, /*ack=*/true);
    ASSERT_LT(out[0], 0x80) << words;
  }
}

TEST(AbridgedTest, ClientReadsLongFormAndTransportErrorAndQuickAck) {
  AbridgedFramer server(Role::kServer);
  Bytes stream;
  Bytes big = make_payload(0x100 * 4, 3);
  server.encode_packet(big, false, stream);
  append(stream, read_vector("abridged_quick_ack.bin"));
  append(stream, read_vector("abridged_error_404.bin"));
  for (Split split : kAllSplits) {
    AbridgedFramer client(Role::kClient);
    FeedResult r = feed(client, stream, split);
    EXPECT_EQ(r.error, CodecError::kNone);
    ASSERT_EQ(r.events.size(), 3u) << split_name(split);
    EXPECT_TRUE(r.events[0] == packet(big));
    EXPECT_TRUE(r.events[1] == quick_ack(0xa1abe8da));
    EXPECT_TRUE(r.events[2] == transport_error(-404));
  }
}

TEST(AbridgedTest, RejectsOverlongLongForm) {
  for (Split split : kAllSplits) {
    AbridgedFramer f(Role::kServer);
    Bytes bad = from_hex("7f 7e 00 00");
    append(bad, make_payload(0x7e * 4));
    EXPECT_EQ(feed(f, bad, split).error, CodecError::kOverlongLength) << split_name(split);
    AbridgedFramer g(Role::kServer);
    EXPECT_EQ(feed(g, from_hex("ff 00 00 00"), split).error, CodecError::kOverlongLength);
    AbridgedFramer c(Role::kClient);
    EXPECT_EQ(feed(c, from_hex("7f 01 00 00 00 00 00 00"), split).error,
              CodecError::kOverlongLength);
  }
}

TEST(AbridgedTest, RejectsZeroLength) {
  AbridgedFramer f(Role::kServer);
  EXPECT_EQ(feed(f, from_hex("00 00 00 00 00"), Split::kWhole).error, CodecError::kBadLength);
  AbridgedFramer g(Role::kServer);
  EXPECT_EQ(feed(g, from_hex("80"), Split::kWhole).error, CodecError::kBadLength);
  AbridgedFramer c(Role::kClient);
  EXPECT_EQ(feed(c, from_hex("00"), Split::kWhole).error, CodecError::kBadLength);
}

TEST(AbridgedTest, ClientRejectsShortPacketThatIsNoTransportUnit) {
  AbridgedFramer c(Role::kClient);
  EXPECT_EQ(feed(c, from_hex("01 05 00 00 00"), Split::kWhole).error, CodecError::kBadServerPacket);
}

TEST(AbridgedTest, TooLargeFailsOnHeaderBeforePayload) {
  // 0x7f + 3-byte 0x010000 words = 256 KiB declared, cap 64 KiB: only the header is fed.
  check_too_large_before_payload(kMake, from_hex("7f 00 00 01"));
}

TEST(AbridgedTest, FirstFrameCap) {
  check_first_frame_cap(kMake);
}

TEST(AbridgedTest, StickyErrors) {
  check_sticky_error(kMake, from_hex("7f 10 00 00"), CodecError::kOverlongLength);
  check_sticky_error(kMake, from_hex("00"), CodecError::kBadLength);
}

TEST(AbridgedTest, ClientToServerRoundTrip) {
  check_client_to_server(kMake, {});
}
TEST(AbridgedTest, ServerToClientRoundTrip) {
  check_server_to_client(kMake, {});
}
TEST(AbridgedTest, ManyFramesInOneFeed) {
  check_many_frames_in_one_feed(kMake);
}
TEST(AbridgedTest, BufferReleasedAfterSplitFrame) {
  check_buffer_released_after_split_frame(kMake);
}
TEST(AbridgedTest, SinkCanStopTheReader) {
  check_sink_stop(kMake);
}

}  // namespace
}  // namespace mtedge::codecs::abridged
