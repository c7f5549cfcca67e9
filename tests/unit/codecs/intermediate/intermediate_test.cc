#include "codecs/intermediate/intermediate.h"

#include <gtest/gtest.h>

#include "tests/support/framer_conformance.h"
#include "tests/support/framer_harness.h"
#include "tests/support/hex.h"
#include "tests/support/vectors.h"

namespace mtedge::codecs::intermediate {
namespace {

using namespace mtedge::codecs::test;
using namespace mtedge::test;

const FramerFactory kMake = [](Role role) { return std::make_unique<IntermediateFramer>(role); };

Bytes req_pq_multi() {
  return from_hex(
      "0000000000000000 D4720600503DC565 14000000 F18E7EBE 406709F612FADFBEC3F0289D0AA67EEF");
}

TEST(IntermediateTest, QuickAckTokenIsRawLittleEndianSpecVector) {
  IntermediateFramer f(Role::kServer);
  Bytes out;
  f.encode_quick_ack(0xa1abe8da, out);
  EXPECT_EQ(out, from_hex("da e8 ab a1"));
  EXPECT_EQ(out, read_vector("intermediate_quick_ack.bin"));
}

TEST(IntermediateTest, TransportErrorEncodings) {
  IntermediateFramer f(Role::kServer);
  Bytes out;
  f.encode_transport_error(-404, out);
  EXPECT_EQ(out, from_hex("04000000 6c fe ff ff"));
  EXPECT_EQ(out, read_vector("intermediate_error_404.bin"));
  out.clear();
  f.encode_transport_error(-429, out);
  EXPECT_EQ(out, from_hex("04000000 53 fe ff ff"));
  out.clear();
  f.encode_transport_error(-444, out);
  EXPECT_EQ(out, from_hex("04000000 44 fe ff ff"));
}

TEST(IntermediateTest, TagAndClientQuickAckBit) {
  IntermediateFramer f(Role::kClient);
  Bytes out;
  f.encode_tag(out);
  EXPECT_EQ(out, from_hex("ee ee ee ee"));
  out.clear();
  f.encode_packet(req_pq_multi(), true, out);
  EXPECT_EQ(out, read_vector("intermediate_req_pq_multi_quick_ack.bin"));
  IntermediateFramer s(Role::kServer);
  out.clear();
  s.encode_packet(req_pq_multi(), true, out);  // a server never sets the bit
  EXPECT_EQ(out, read_vector("intermediate_req_pq_multi.bin"));
}

TEST(IntermediateTest, DecodesSpecVectorInEverySplit) {
  for (Split split : kAllSplits) {
    IntermediateFramer f(Role::kServer);
    FeedResult r = feed(f, read_vector("intermediate_req_pq_multi.bin"), split);
    ASSERT_EQ(r.events.size(), 1u) << split_name(split);
    EXPECT_TRUE(r.events[0] == packet(req_pq_multi(), false));
    IntermediateFramer g(Role::kServer);
    r = feed(g, read_vector("intermediate_req_pq_multi_quick_ack.bin"), split);
    ASSERT_EQ(r.events.size(), 1u) << split_name(split);
    EXPECT_TRUE(r.events[0] == packet(req_pq_multi(), true));
  }
}

TEST(IntermediateTest, ClientReadsQuickAckErrorAndNop) {
  Bytes stream = read_vector("intermediate_quick_ack.bin");
  append(stream, read_vector("intermediate_error_404.bin"));
  append(stream, from_hex("04000000 00000000"));           // NOP: code 0 in a short frame
  append(stream, from_hex("08000000 ffffffff 01020384"));  // framed quick ack
  for (Split split : kAllSplits) {
    IntermediateFramer c(Role::kClient);
    FeedResult r = feed(c, stream, split);
    EXPECT_EQ(r.error, CodecError::kNone);
    ASSERT_EQ(r.events.size(), 3u) << split_name(split);
    EXPECT_TRUE(r.events[0] == quick_ack(0xa1abe8da));
    EXPECT_TRUE(r.events[1] == transport_error(-404));
    EXPECT_TRUE(r.events[2] == quick_ack(0x84030201));
  }
}

TEST(IntermediateTest, RejectsZeroAndUnalignedLengths) {
  for (Role role : {Role::kServer, Role::kClient}) {
    IntermediateFramer f(role);
    EXPECT_EQ(feed(f, from_hex("00000000"), Split::kWhole).error, CodecError::kBadLength);
    IntermediateFramer g(role);
    EXPECT_EQ(feed(g, from_hex("05000000 0102030405"), Split::kWhole).error,
              CodecError::kBadLength);
  }
  IntermediateFramer q(Role::kServer);
  EXPECT_EQ(feed(q, from_hex("00000080"), Split::kWhole).error, CodecError::kBadLength);
}

TEST(IntermediateTest, ClientRejectsPositiveShortCode) {
  IntermediateFramer c(Role::kClient);
  EXPECT_EQ(feed(c, from_hex("04000000 05000000"), Split::kWhole).error,
            CodecError::kBadServerPacket);
}

TEST(IntermediateTest, TooLargeFailsOnHeaderBeforePayload) {
  check_too_large_before_payload(kMake, from_hex("00 00 10 00"));  // 1 MiB declared
  check_too_large_before_payload(kMake, from_hex("00 00 00 ff"));  // with ack bit
}

TEST(IntermediateTest, FirstFrameCap) {
  check_first_frame_cap(kMake);
}

TEST(IntermediateTest, StickyErrors) {
  check_sticky_error(kMake, from_hex("00000000"), CodecError::kBadLength);
  check_sticky_error(kMake, from_hex("03000000"), CodecError::kBadLength);
}

TEST(IntermediateTest, ClientToServerRoundTrip) {
  check_client_to_server(kMake, {});
}
TEST(IntermediateTest, ServerToClientRoundTrip) {
  check_server_to_client(kMake, {});
}
TEST(IntermediateTest, ManyFramesInOneFeed) {
  check_many_frames_in_one_feed(kMake);
}
TEST(IntermediateTest, BufferReleasedAfterSplitFrame) {
  check_buffer_released_after_split_frame(kMake);
}
TEST(IntermediateTest, SinkCanStopTheReader) {
  check_sink_stop(kMake);
}

}  // namespace
}  // namespace mtedge::codecs::intermediate
