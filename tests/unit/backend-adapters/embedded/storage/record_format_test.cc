// The record log's file format: encoding, recovery of whole files, torn tails at every offset,
// damaged records in the middle, headers.
#include "backend-adapters/embedded/storage/record_format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mtedge::backend::embedded::storage {
namespace {

std::vector<std::string> records_of(ByteView image, ParseReport& report) {
  std::vector<std::string> out;
  Status st = parse(
      image, [&](ByteView r) { out.emplace_back(r.begin(), r.end()); }, report);
  EXPECT_TRUE(st.is_ok()) << st.message();
  return out;
}

Bytes image_of(const std::vector<std::string>& records) {
  Bytes image = header();
  for (const std::string& r : records) append_record(as_bytes(r), image);
  return image;
}

const std::vector<std::string> kRecords = {"first", "", std::string(300, 'x'), "last record"};

TEST(RecordFormat, RoundTrip) {
  const Bytes image = image_of(kRecords);
  ASSERT_EQ(image.size(), kHeaderSize + 4 * kRecordOverhead + 5 + 0 + 300 + 11);
  EXPECT_EQ(std::string(image.begin(), image.begin() + 8), "MTEDGERL");
  ParseReport report;
  EXPECT_EQ(records_of(image, report), kRecords);
  EXPECT_EQ(report.records, 4u);
  EXPECT_EQ(report.good_end, image.size());
  EXPECT_EQ(report.torn_bytes, 0u);
  EXPECT_TRUE(report.skipped.empty());
  EXPECT_FALSE(report.header_torn);
}

// A crash while the last record was being written leaves any prefix of it: every one is a
// torn tail, and every earlier record is recovered.
TEST(RecordFormat, TornTailAtEveryOffsetOfTheLastRecord) {
  const Bytes image = image_of(kRecords);
  const size_t last_start = image.size() - kRecordOverhead - kRecords.back().size();
  const std::vector<std::string> earlier(kRecords.begin(), kRecords.end() - 1);
  for (size_t cut = last_start; cut < image.size(); ++cut) {
    ParseReport report;
    EXPECT_EQ(records_of(ByteView(image).first(cut), report), earlier) << "cut " << cut;
    EXPECT_EQ(report.good_end, last_start) << "cut " << cut;
    EXPECT_EQ(report.torn_bytes, cut - last_start) << "cut " << cut;
    EXPECT_TRUE(report.skipped.empty()) << "cut " << cut;
  }
}

// Space the file system allocated but never filled (zeros) is a torn tail too: a zero length
// does not match its CRC.
TEST(RecordFormat, ZeroFilledTailIsTorn) {
  Bytes image = image_of(kRecords);
  const size_t good = image.size();
  image.resize(good + 4096, 0);
  ParseReport report;
  EXPECT_EQ(records_of(image, report), kRecords);
  EXPECT_EQ(report.good_end, good);
  EXPECT_EQ(report.torn_bytes, 4096u);
}

// A damaged record in the middle (a flipped bit in its length, CRC or payload) is skipped and
// the records after it are kept.
TEST(RecordFormat, DamagedMiddleRecordIsSkipped) {
  const Bytes image = image_of(kRecords);
  const size_t third = kHeaderSize + 2 * kRecordOverhead + 5;  // the 300-byte record
  for (size_t offset : {third, third + 3, third + 5, third + 8, third + 200}) {
    Bytes bad = image;
    bad[offset] ^= 0x10;
    ParseReport report;
    EXPECT_EQ(records_of(bad, report),
              (std::vector<std::string>{kRecords[0], kRecords[1], kRecords[3]}))
        << "offset " << offset;
    ASSERT_EQ(report.skipped.size(), 1u) << "offset " << offset;
    EXPECT_EQ(report.skipped[0].offset, third);
    EXPECT_EQ(report.skipped[0].size, kRecordOverhead + 300);
    EXPECT_EQ(report.good_end, image.size());
    EXPECT_EQ(report.torn_bytes, 0u);
  }
}

TEST(RecordFormat, LengthAboveTheFormatLimitIsDamage) {
  Bytes image = header();
  append_le32(image, kMaxRecordBytes + 1);
  append_le32(image, 0);
  ParseReport report;
  EXPECT_TRUE(records_of(image, report).empty());
  EXPECT_EQ(report.good_end, kHeaderSize);
  EXPECT_EQ(report.torn_bytes, 8u);
}

TEST(RecordFormat, Headers) {
  ParseReport report;
  Bytes image = image_of({"a"});
  Bytes bad_magic = image;
  bad_magic[3] = 'X';
  Status st = parse(
      bad_magic, [](ByteView) {}, report);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("offset 0"), std::string::npos) << st.message();
  Bytes bad_version = image;
  bad_version[8] = 2;
  st = parse(
      bad_version, [](ByteView) {}, report);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("offset 8: unsupported version 2"), std::string::npos);
  // An empty file or a strict prefix of a header: a log whose creation was cut short.
  const Bytes whole = header();
  for (size_t n = 0; n < kHeaderSize; ++n) {
    ASSERT_TRUE(parse(
                    ByteView(whole).first(n), [](ByteView) {}, report)
                    .is_ok())
        << n;
    EXPECT_TRUE(report.header_torn) << n;
    EXPECT_EQ(report.good_end, 0u);
    EXPECT_EQ(report.torn_bytes, n);
  }
  ASSERT_TRUE(parse(
                  whole, [](ByteView) {}, report)
                  .is_ok());
  EXPECT_FALSE(report.header_torn);
  EXPECT_EQ(report.good_end, kHeaderSize);
  // Not a prefix of a header, though short: refused.
  Bytes short_bad = {'M', 'T', 'E', 'D', 'G', 'E', 'R', 'L', 9};
  EXPECT_FALSE(parse(
                   short_bad, [](ByteView) {}, report)
                   .is_ok());
}

}  // namespace
}  // namespace mtedge::backend::embedded::storage
