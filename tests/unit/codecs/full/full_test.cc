#include "codecs/full/full.h"

#include <gtest/gtest.h>

#include "tests/support/framer_conformance.h"
#include "tests/support/framer_harness.h"
#include "tests/support/hex.h"
#include "tests/support/vectors.h"

namespace mtedge::codecs::full {
namespace {

using namespace mtedge::codecs::test;
using namespace mtedge::test;

const FramerFactory kMake = [](Role role) { return std::make_unique<FullFramer>(role); };
const ConformanceOptions kNoQuickAckForms = {.quick_ack_request_bit = false,
                                             .quick_ack_token = false};

Bytes req_pq_multi() {
  return from_hex(
      "0000000000000000 D4720600503DC565 14000000 F18E7EBE 406709F612FADFBEC3F0289D0AA67EEF");
}

// Builds a frame by hand with any seqno and an optionally corrupted CRC.
Bytes frame(ByteView payload, uint32_t seqno, uint32_t total_len_bits = 0, bool bad_crc = false) {
  Bytes out;
  append_le32(out, static_cast<uint32_t>(payload.size() + 12) | total_len_bits);
  append_le32(out, seqno);
  append(out, payload);
  append_le32(out, crc32(out) ^ (bad_crc ? 1u : 0u));
  return out;
}

TEST(FullTest, Crc32IsIeee) {
  EXPECT_EQ(crc32(as_bytes("123456789")), 0xcbf43926u);
  EXPECT_EQ(crc32({}), 0u);
}

TEST(FullTest, EncodesSpecVector) {
  for (Role role : {Role::kServer, Role::kClient}) {
    FullFramer f(role);
    Bytes out;
    f.encode_packet(req_pq_multi(), false, out);
    EXPECT_EQ(to_hex(out),
              "34000000"
              "00000000" +
                  to_hex(req_pq_multi()) + "22b7ab88");
    EXPECT_EQ(out, read_vector("full_req_pq_multi.bin"));
  }
}

TEST(FullTest, DecodesSpecVectorInEverySplit) {
  for (Split split : kAllSplits) {
    FullFramer f(Role::kServer);
    FeedResult r = feed(f, read_vector("full_req_pq_multi.bin"), split);
    EXPECT_EQ(r.error, CodecError::kNone);
    ASSERT_EQ(r.events.size(), 1u) << split_name(split);
    EXPECT_TRUE(r.events[0] == packet(req_pq_multi(), false));
    EXPECT_EQ(f.recv_seqno(), 1u);
  }
}

TEST(FullTest, TransportErrorIsAFramedCodeWithSeqnoAndCrc) {
  FullFramer f(Role::kServer);
  Bytes out;
  f.encode_transport_error(-404, out);
  EXPECT_EQ(to_hex(out),
            "10000000"
            "00000000"
            "6cfeffff"
            "0d2f4107");
  EXPECT_EQ(out, read_vector("full_error_404.bin"));
  out.clear();
  f.encode_transport_error(-429, out);  // seqno keeps counting
  EXPECT_EQ(out, frame(from_hex("53feffff"), 1));
}

TEST(FullTest, SeqnoCountsPerDirection) {
  FullFramer f(Role::kServer);
  Bytes out;
  for (int i = 0; i < 3; ++i) f.encode_packet(make_payload(16), false, out);
  EXPECT_EQ(f.send_seqno(), 3u);
  EXPECT_EQ(f.recv_seqno(), 0u);
  EXPECT_EQ(load_le32(out.data() + 28 * 2 + 4), 2u);
}

TEST(FullTest, NoQuickAckTokenAndNoTag) {
  FullFramer f(Role::kServer);
  Bytes out;
  f.encode_quick_ack(0xa1abe8da, out);
  f.encode_tag(out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(f.send_seqno(), 0u);
}

TEST(FullTest, ClientNeverSetsQuickAckBit) {
  FullFramer f(Role::kClient);
  Bytes out;
  f.encode_packet(req_pq_multi(), true, out);
  EXPECT_EQ(out, read_vector("full_req_pq_multi.bin"));
}

TEST(FullTest, ServerDecodesOldSpecQuickAckBit) {
  FullFramer f(Role::kServer);
  FeedResult r = feed(f, frame(req_pq_multi(), 0, 0x80000000u), Split::kWhole);
  EXPECT_EQ(r.error, CodecError::kNone);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_TRUE(r.events[0] == packet(req_pq_multi(), true));
}

TEST(FullTest, ClientReadsErrorNopAndRawQuickAck) {
  Bytes stream = read_vector("full_error_404.bin");
  append(stream, frame(from_hex("00000000"), 1));
  append(stream, from_hex("da e8 ab a1"));
  append(stream, frame(req_pq_multi(), 2));
  for (Split split : kAllSplits) {
    FullFramer c(Role::kClient);
    FeedResult r = feed(c, stream, split);
    EXPECT_EQ(r.error, CodecError::kNone);
    ASSERT_EQ(r.events.size(), 3u) << split_name(split);
    EXPECT_TRUE(r.events[0] == transport_error(-404));
    EXPECT_TRUE(r.events[1] == quick_ack(0xa1abe8da));
    EXPECT_TRUE(r.events[2] == packet(req_pq_multi()));
  }
}

TEST(FullTest, RejectsBadCrc) {
  for (Split split : kAllSplits) {
    FullFramer f(Role::kServer);
    FeedResult r = feed(f, frame(req_pq_multi(), 0, 0, /*bad_crc=*/true), split);
    EXPECT_EQ(r.error, CodecError::kBadCrc) << split_name(split);
    EXPECT_TRUE(r.events.empty());
  }
  check_sticky_error(kMake, frame(req_pq_multi(), 0, 0, true), CodecError::kBadCrc);
}

TEST(FullTest, RejectsBadSeqno) {
  for (Split split : kAllSplits) {
    FullFramer f(Role::kServer);
    Bytes stream = frame(req_pq_multi(), 0);
    append(stream, frame(req_pq_multi(), 2));  // 1 expected
    FeedResult r = feed(f, stream, split);
    EXPECT_EQ(r.error, CodecError::kBadSeqno) << split_name(split);
    EXPECT_EQ(r.events.size(), 1u);
  }
  check_sticky_error(kMake, frame(req_pq_multi(), 1), CodecError::kBadSeqno);
}

TEST(FullTest, RejectsBadLengths) {
  for (const char* hex : {"00000000", "08000000", "0c000000", "11000000", "0e000080"}) {
    FullFramer f(Role::kServer);
    EXPECT_EQ(feed(f, from_hex(hex), Split::kWhole).error, CodecError::kBadLength) << hex;
  }
  check_sticky_error(kMake, from_hex("0c000000 00000000 00000000"), CodecError::kBadLength);
}

TEST(FullTest, TooLargeFailsOnHeaderBeforePayload) {
  check_too_large_before_payload(kMake, from_hex("00 00 10 00"));
}

TEST(FullTest, FirstFrameCap) {
  check_first_frame_cap(kMake);
}
TEST(FullTest, ClientToServerRoundTrip) {
  check_client_to_server(kMake, kNoQuickAckForms);
}
TEST(FullTest, ServerToClientRoundTrip) {
  check_server_to_client(kMake, kNoQuickAckForms);
}
TEST(FullTest, ManyFramesInOneFeed) {
  check_many_frames_in_one_feed(kMake);
}
TEST(FullTest, BufferReleasedAfterSplitFrame) {
  check_buffer_released_after_split_frame(kMake);
}
TEST(FullTest, SinkCanStopTheReader) {
  check_sink_stop(kMake);
}

}  // namespace
}  // namespace mtedge::codecs::full
