#include "codecs/obfuscated/tls_record_stage.h"

#include <gtest/gtest.h>

#include "tests/support/hex.h"
#include "tests/support/split_feed.h"

namespace mtedge::codecs::obfuscated {
namespace {

struct Stream {
  Bytes wire;
  Bytes payload;
};

Stream sample_stream() {
  Stream s;
  s.wire = mtedge::test::from_hex("140303000101");
  size_t sizes[] = {64, 0, 1, 300, 5, kTlsMaxRecordPayload, 17};
  uint8_t v = 0;
  for (size_t n : sizes) {
    s.wire.insert(s.wire.end(), {0x17, 0x03, 0x03, uint8_t(n >> 8), uint8_t(n)});
    for (size_t i = 0; i < n; ++i) {
      s.wire.push_back(v);
      s.payload.push_back(v);
      v = uint8_t(v * 7 + 3);
    }
  }
  return s;
}

Bytes feed_parts(TlsRecordStage& stage, Bytes wire, const std::vector<size_t>& parts,
                 CodecError& e) {
  Bytes out;
  size_t off = 0;
  for (size_t p : parts) {
    MutableByteView got = stage.inbound(MutableByteView(wire.data() + off, p), e);
    off += p;
    if (e != CodecError::kNone) break;
    out.insert(out.end(), got.begin(), got.end());
  }
  return out;
}

TEST(TlsRecordStageTest, InboundWholeByteByByteRandom) {
  Stream s = sample_stream();
  for (const auto& parts : mtedge::test::every_split(s.wire.size())) {
    TlsRecordStage stage;
    CodecError e = CodecError::kNone;
    EXPECT_EQ(feed_parts(stage, s.wire, parts, e), s.payload);
    EXPECT_EQ(e, CodecError::kNone);
  }
}

TEST(TlsRecordStageTest, InboundSplitAtEveryOffset) {
  Stream s = sample_stream();
  // The first 700 bytes hold the CCS, several headers and the empty record.
  for (size_t cut = 0; cut <= 700; ++cut) {
    TlsRecordStage stage;
    CodecError e = CodecError::kNone;
    EXPECT_EQ(feed_parts(stage, s.wire, {cut, s.wire.size() - cut}, e), s.payload) << cut;
    ASSERT_EQ(e, CodecError::kNone);
  }
}

TEST(TlsRecordStageTest, CcsIsOptional) {
  Stream s = sample_stream();
  Bytes wire(s.wire.begin() + 6, s.wire.end());
  TlsRecordStage stage;
  CodecError e = CodecError::kNone;
  EXPECT_EQ(feed_parts(stage, wire, {wire.size()}, e), s.payload);
}

TEST(TlsRecordStageTest, BadRecordsRejected) {
  const char* bad[] = {
      "1603030001ff",              // handshake after the hello
      "1503030002aaaa",            // alert
      "1703010001aa",              // wrong version
      "1704030001aa",              // wrong version
      "17030341010000",            // 16641 > 16384 + 256
      "140303000102",              // CCS payload not 01
      "14030300020101",            // CCS length 2
      "1703030001aa140303000101",  // CCS after a data record
      "140303000101140303000101",  // two CCS
  };
  for (const char* hex : bad) {
    Bytes wire = mtedge::test::from_hex(hex);
    for (const auto& parts : mtedge::test::every_split(wire.size())) {
      TlsRecordStage stage;
      CodecError e = CodecError::kNone;
      feed_parts(stage, wire, parts, e);
      EXPECT_EQ(e, CodecError::kTlsBadRecord) << hex;
      // Sticky.
      Bytes more = mtedge::test::from_hex("1703030001aa");
      CodecError again = CodecError::kNone;
      EXPECT_TRUE(stage.inbound(MutableByteView(more), again).empty());
      EXPECT_EQ(again, CodecError::kTlsBadRecord);
    }
  }
  TlsRecordOptions no_ccs;
  no_ccs.accept_leading_ccs = false;
  TlsRecordStage stage(no_ccs);
  Bytes ccs = mtedge::test::from_hex("140303000101");
  CodecError e = CodecError::kNone;
  stage.inbound(MutableByteView(ccs), e);
  EXPECT_EQ(e, CodecError::kTlsBadRecord);
}

TEST(TlsRecordStageTest, OutboundWrapsAndRoundTrips) {
  for (size_t n :
       {size_t(0), size_t(1), size_t(16383), size_t(16384), size_t(16385), size_t(40000)}) {
    Bytes out = mtedge::test::from_hex("aabbcc");  // bytes already queued stay untouched
    Bytes data(n);
    for (size_t i = 0; i < n; ++i) data[i] = uint8_t(i ^ (i >> 8));
    out.insert(out.end(), data.begin(), data.end());
    TlsRecordStage writer;
    writer.outbound(out, 3);
    EXPECT_EQ(mtedge::test::to_hex(ByteView(out).first(3)), "aabbcc");
    size_t records = (n + kTlsMaxOutRecord - 1) / kTlsMaxOutRecord;
    EXPECT_EQ(out.size(), 3 + n + 5 * records);
    EXPECT_EQ(writer.records_out(), records);
    for (const auto& parts : mtedge::test::every_split(out.size() - 3)) {
      TlsRecordStage reader;
      CodecError e = CodecError::kNone;
      EXPECT_EQ(feed_parts(reader, Bytes(out.begin() + 3, out.end()), parts, e), data) << n;
    }
  }
}

TEST(TlsRecordStageTest, ClientSendsCcsOnceAndSmallRecords) {
  TlsRecordStage writer(
      {.accept_leading_ccs = false, .send_leading_ccs = true, .max_out_record = 100});
  Bytes out(250, 0x5a);
  writer.outbound(out, 0);
  EXPECT_EQ(mtedge::test::to_hex(ByteView(out).first(11)), "1403030001011703030064");
  EXPECT_EQ(out.size(), 6 + 250 + 3 * 5);
  size_t before = out.size();
  out.insert(out.end(), 10, 0x11);
  writer.outbound(out, before);
  EXPECT_EQ(mtedge::test::to_hex(ByteView(out).subspan(before, 5)), "170303000a");
  for (size_t cut = 0; cut <= out.size(); ++cut) {
    TlsRecordStage reader;
    CodecError e = CodecError::kNone;
    Bytes got = feed_parts(reader, out, {cut, out.size() - cut}, e);
    ASSERT_EQ(e, CodecError::kNone);
    EXPECT_EQ(got.size(), 260u);
  }
}

TEST(TlsRecordStageTest, PassThroughBytesAreNotParsed) {
  TlsRecordStage stage;
  Bytes first = mtedge::test::from_hex("1703030006010203040506");
  CodecError e = CodecError::kNone;
  MutableByteView got = stage.inbound(MutableByteView(first), e);
  ASSERT_EQ(got.size(), 6u);
  // Hand back the last 2 stripped bytes, followed by more raw record bytes.
  stage.pass_through(2);
  Bytes again = mtedge::test::from_hex("0506170303000107");
  got = stage.inbound(MutableByteView(again), e);
  ASSERT_EQ(e, CodecError::kNone);
  EXPECT_EQ(mtedge::test::to_hex(got), "050607");
}

}  // namespace
}  // namespace mtedge::codecs::obfuscated
