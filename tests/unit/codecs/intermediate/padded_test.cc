#include "codecs/intermediate/padded.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/support/framer_conformance.h"
#include "tests/support/framer_harness.h"
#include "tests/support/hex.h"
#include "tests/support/vectors.h"

namespace mtedge::codecs::intermediate {
namespace {

using namespace mtedge::codecs::test;
using namespace mtedge::test;

const FramerFactory kMake = [](Role role) { return std::make_unique<PaddedFramer>(role, 99); };

Bytes req_pq_multi() {
  return from_hex(
      "0000000000000000 D4720600503DC565 14000000 F18E7EBE 406709F612FADFBEC3F0289D0AA67EEF");
}

TEST(PaddedTest, TagIsDd) {
  PaddedFramer f(Role::kClient, 1);
  Bytes out;
  f.encode_tag(out);
  EXPECT_EQ(out, from_hex("dd dd dd dd"));
}

TEST(PaddedTest, QuickAckTokenIsRawLittleEndian) {
  PaddedFramer f(Role::kServer, 1);
  Bytes out;
  f.encode_quick_ack(0xa1abe8da, out);
  EXPECT_EQ(out, from_hex("da e8 ab a1"));
}

TEST(PaddedTest, ServerPadsZeroToThreeBytesAndVaries) {
  PaddedFramer f(Role::kServer, 12345);
  std::set<size_t> pads;
  Bytes payload = make_payload(64);
  for (int i = 0; i < 200; ++i) {
    Bytes out;
    f.encode_packet(payload, false, out);
    const uint32_t tlen = load_le32(out.data());
    ASSERT_EQ(out.size(), 4u + tlen);
    ASSERT_GE(tlen, 64u);
    ASSERT_LE(tlen, 67u);
    EXPECT_TRUE(std::equal(payload.begin(), payload.end(), out.begin() + 4));
    pads.insert(tlen - 64);
  }
  EXPECT_EQ(pads.size(), 4u);  // 0, 1, 2 and 3 all occur
}

TEST(PaddedTest, SameSeedSamePadding) {
  PaddedFramer a(Role::kServer, 7), b(Role::kServer, 7);
  Bytes x, y;
  for (int i = 0; i < 10; ++i) {
    a.encode_packet(make_payload(32), false, x);
    b.encode_packet(make_payload(32), false, y);
  }
  EXPECT_EQ(x, y);
}

TEST(PaddedTest, TransportErrorIsShortFramedCode) {
  PaddedFramer f(Role::kServer, 3);
  for (int i = 0; i < 50; ++i) {
    Bytes out;
    f.encode_transport_error(-404, out);
    const uint32_t tlen = load_le32(out.data());
    ASSERT_GE(tlen, 4u);
    ASSERT_LT(tlen, 16u);  // tdlib reads short frames as errors only below 16 bytes
    EXPECT_EQ(Bytes(out.begin() + 4, out.begin() + 8), from_hex("6c fe ff ff"));
  }
}

TEST(PaddedTest, DeliversTlenRoundedDownToWords) {
  // tlen 47 = 40 payload + 7 padding: the packet is the first 44 bytes (tlen & ~3); the
  // MTProto layer drops the last padding word.
  for (Split split : kAllSplits) {
    PaddedFramer f(Role::kServer, 1);
    FeedResult r = feed(f, read_vector("padded_req_pq_multi.bin"), split);
    EXPECT_EQ(r.error, CodecError::kNone);
    ASSERT_EQ(r.events.size(), 1u) << split_name(split);
    Bytes expected = req_pq_multi();
    append(expected, from_hex("01020304"));
    EXPECT_TRUE(r.events[0] == packet(expected, false));
  }
}

TEST(PaddedTest, QuickAckRequestBit) {
  Bytes frame = from_hex("2b000080");  // tlen 43 with bit 31
  append(frame, req_pq_multi());
  append(frame, from_hex("aabbcc"));
  PaddedFramer f(Role::kServer, 1);
  FeedResult r = feed(f, frame, Split::kWhole);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_TRUE(r.events[0] == packet(req_pq_multi(), true));
}

TEST(PaddedTest, ClientReadsRawAndFramedQuickAckNopAndError) {
  Bytes stream = from_hex("da e8 ab a1");  // raw token
  append(stream, read_vector("padded_quick_ack_framed.bin"));
  append(stream, from_hex("0c000000 ffffffff 04030281 99999999"));  // framed, padded to 12
  append(stream, read_vector("padded_nop.bin"));
  append(stream, read_vector("padded_error_404.bin"));
  for (Split split : kAllSplits) {
    PaddedFramer c(Role::kClient, 1);
    FeedResult r = feed(c, stream, split);
    EXPECT_EQ(r.error, CodecError::kNone);
    ASSERT_EQ(r.events.size(), 4u) << split_name(split);
    EXPECT_TRUE(r.events[0] == quick_ack(0xa1abe8da));
    EXPECT_TRUE(r.events[1] == quick_ack(0xa1abe8da));
    EXPECT_TRUE(r.events[2] == quick_ack(0x81020304));
    EXPECT_TRUE(r.events[3] == transport_error(-404));
  }
}

TEST(PaddedTest, RejectsZeroAndPaddingOnlyFrames) {
  PaddedFramer f(Role::kServer, 1);
  EXPECT_EQ(feed(f, from_hex("00000000"), Split::kWhole).error, CodecError::kBadLength);
  PaddedFramer g(Role::kServer, 1);
  EXPECT_EQ(feed(g, from_hex("03000000 010203"), Split::kWhole).error, CodecError::kBadLength);
  PaddedFramer c(Role::kClient, 1);
  EXPECT_EQ(feed(c, from_hex("00000000"), Split::kWhole).error, CodecError::kBadLength);
  PaddedFramer d(Role::kClient, 1);
  EXPECT_EQ(feed(d, from_hex("02000000 0102"), Split::kWhole).error, CodecError::kBadServerPacket);
}

TEST(PaddedTest, TooLargeFailsOnHeaderBeforePayload) {
  check_too_large_before_payload(kMake, from_hex("01 00 10 00"));
}

TEST(PaddedTest, FirstFrameCap) {
  check_first_frame_cap(kMake);
}

TEST(PaddedTest, StickyErrors) {
  check_sticky_error(kMake, from_hex("00000000"), CodecError::kBadLength);
}

// mtedge pads 0..3 bytes in both roles, so tlen & ~3 gives the payload back exactly.
TEST(PaddedTest, ClientToServerRoundTrip) {
  check_client_to_server(kMake, {});
}
TEST(PaddedTest, ServerToClientRoundTrip) {
  check_server_to_client(kMake, {});
}
TEST(PaddedTest, ManyFramesInOneFeed) {
  check_many_frames_in_one_feed(kMake);
}
TEST(PaddedTest, BufferReleasedAfterSplitFrame) {
  check_buffer_released_after_split_frame(kMake);
}
TEST(PaddedTest, SinkCanStopTheReader) {
  check_sink_stop(kMake);
}

}  // namespace
}  // namespace mtedge::codecs::intermediate
