// TL primitives: round trips, canonical encodings, and truncated or lying input at every cut.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "mtproto/tl/tl_reader.h"
#include "mtproto/tl/tl_writer.h"
#include "tests/support/hex.h"

namespace mtedge::mtproto {
namespace {

using mtedge::test::from_hex;
// Expected values here are upper-case hex, as docs/spec/wire-notes.md prints them.
constexpr auto to_hex = mtedge::test::to_upper_hex;

// One of everything, written in a fixed order.
Bytes sample_object() {
  Bytes out;
  TlWriter w(out);
  w.write_uint32(0x05162463);
  w.write_int32(-5);
  w.write_int64(-0x123456789);
  w.write_double(1.5);
  std::array<uint8_t, 16> a128;
  std::array<uint8_t, 32> a256;
  for (size_t i = 0; i < 16; ++i) a128[i] = uint8_t(i);
  for (size_t i = 0; i < 32; ++i) a256[i] = uint8_t(100 + i);
  w.write_int128(a128);
  w.write_int256(a256);
  w.write_string("hello");
  w.write_bytes(Bytes(300, 0x42));
  w.write_bool(true);
  w.write_bool(false);
  w.write_vector_header(3);
  for (int64_t v : {1, 2, 3}) w.write_int64(v);
  w.write_bare_vector_count(2);
  w.write_int32(7);
  w.write_int32(8);
  return out;
}

// Reads sample_object back; returns whether every value matched and the reader stayed ok.
bool read_sample(TlReader& r) {
  bool same = true;
  same &= r.read_uint32() == 0x05162463;
  same &= r.read_int32() == -5;
  same &= r.read_int64() == -0x123456789;
  same &= r.read_double() == 1.5;
  auto a128 = r.read_int128();
  same &= a128[15] == 15;
  auto a256 = r.read_int256();
  same &= a256[31] == 131;
  same &= r.read_string() == "hello";
  auto big = r.read_bytes();
  same &= big.size() == 300 && big[299] == 0x42;
  same &= r.read_bool();
  same &= !r.read_bool();
  uint32_t n = r.read_vector_header(8);
  same &= n == 3;
  for (uint32_t i = 0; i < n; ++i) same &= r.read_int64() == int64_t(i + 1);
  uint32_t m = r.read_bare_vector_count();
  same &= m == 2;
  for (uint32_t i = 0; i < m; ++i) same &= r.read_int32() == int32_t(7 + i);
  return same && r.ok();
}

TEST(MtprotoTlPrimitives, RoundTrip) {
  const Bytes data = sample_object();
  TlReader r(data);
  EXPECT_TRUE(read_sample(r));
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(r.error(), nullptr);
}

TEST(MtprotoTlPrimitives, EveryTruncationFailsWithoutOverRead) {
  const Bytes data = sample_object();
  for (size_t cut = 0; cut < data.size(); ++cut) {
    // A fresh heap copy of exactly `cut` bytes, so ASan catches any over-read.
    std::unique_ptr<uint8_t[]> copy(new uint8_t[cut == 0 ? 1 : cut]);
    std::copy_n(data.begin(), cut, copy.get());
    TlReader r(ByteView(copy.get(), cut));
    EXPECT_FALSE(read_sample(r)) << cut;
    EXPECT_FALSE(r.ok()) << cut;
    EXPECT_NE(r.error(), nullptr);
    EXPECT_LE(r.position(), cut);
    EXPECT_TRUE(r.rest().empty());
  }
}

TEST(MtprotoTlPrimitives, BytesEncodings) {
  struct Case {
    size_t size;
    std::string prefix;
    size_t total;
  };
  for (const Case& c : {Case{0, "00", 4}, Case{1, "01", 4}, Case{3, "03", 4}, Case{4, "04", 8},
                        Case{253, "FD", 256}, Case{254, "FEFE0000", 260},
                        Case{256, "FE000100", 260}, Case{70000, "FE701101", 70004}}) {
    Bytes out;
    TlWriter w(out);
    w.write_bytes(Bytes(c.size, 0x11));
    EXPECT_EQ(out.size(), c.total) << c.size;
    EXPECT_EQ(out.size(), tl_bytes_size(c.size));
    EXPECT_EQ(to_hex(ByteView(out).first(c.prefix.size() / 2)), c.prefix);
    for (size_t i = (c.size < 254 ? 1 : 4) + c.size; i < out.size(); ++i) EXPECT_EQ(out[i], 0);
    TlReader r(out);
    EXPECT_EQ(r.read_bytes().size(), c.size);
    EXPECT_TRUE(r.ok());
    EXPECT_TRUE(r.at_end());
  }
  // docs/spec/wire-notes.md §7.6: pq as TL bytes.
  const Bytes pq_tl = from_hex("08 25 65 95 ED B7 76 67 97 00 00 00");
  TlReader pq(pq_tl);
  EXPECT_EQ(to_hex(pq.read_bytes()), "256595EDB7766797");
  EXPECT_TRUE(pq.at_end());
}

TEST(MtprotoTlPrimitives, LyingLengthsAndCounts) {
  {
    const Bytes in = from_hex("FF000000");
    TlReader r(in);  // 0xff is not a length prefix
    r.read_bytes();
    EXPECT_FALSE(r.ok());
  }
  {
    const Bytes in = from_hex("05 414243");
    TlReader r(in);  // says 5, has 3
    EXPECT_TRUE(r.read_bytes().empty());
    EXPECT_FALSE(r.ok());
  }
  {
    const Bytes in = from_hex("04 41424344");
    TlReader r(in);  // data present, padding missing
    r.read_bytes();
    EXPECT_FALSE(r.ok());
  }
  {
    const Bytes in = from_hex("FE FFFFFF 00000000");
    TlReader r(in);  // 16 MiB claimed
    r.read_bytes();
    EXPECT_FALSE(r.ok());
  }
  {
    const Bytes in = from_hex("15C4B51C FFFFFFFF 01000000");
    TlReader r(in);  // count 2^32-1, one item
    EXPECT_EQ(r.read_vector_header(), 0u);
    EXPECT_FALSE(r.ok());
  }
  {
    const Bytes in = from_hex("15C4B51C 02000000 01000000 02000000");
    TlReader r(in);
    EXPECT_EQ(r.read_vector_header(8), 0u);  // two longs do not fit in 8 bytes
    EXPECT_FALSE(r.ok());
  }
  {
    const Bytes in = from_hex("15C4B51C 02000000 01000000 02000000");
    TlReader r(in);
    EXPECT_EQ(r.read_vector_header(4), 2u);
    EXPECT_TRUE(r.ok());
  }
  {
    const Bytes in = from_hex("00000000 02000000");
    TlReader r(in);  // not a vector constructor
    EXPECT_EQ(r.read_vector_header(), 0u);
    EXPECT_FALSE(r.ok());
  }
  {
    const Bytes in = from_hex("01020304");
    TlReader r(in);
    EXPECT_FALSE(r.read_bool());
    EXPECT_FALSE(r.ok());
  }
}

TEST(MtprotoTlPrimitives, ErrorsAreSticky) {
  const Bytes data = from_hex("01000000 02000000 03000000");
  TlReader r(data);
  EXPECT_EQ(r.read_int32(), 1);
  EXPECT_FALSE(r.expect(0x12345678));
  const size_t pos = r.position();
  EXPECT_EQ(r.read_int32(), 0);  // data left, but the reader failed
  EXPECT_EQ(r.position(), pos);
  EXPECT_STREQ(r.error(), "tl: unexpected constructor");
  r.fail("other");
  EXPECT_STREQ(r.error(), "tl: unexpected constructor");
  EXPECT_TRUE(r.read_raw(1).empty());
}

TEST(MtprotoTlPrimitives, RawSkipAndPatch) {
  Bytes out;
  TlWriter w(out);
  const size_t at = w.reserve_int32();
  w.write_raw(Bytes{1, 2, 3, 4});
  w.patch_int32(at, -2);
  w.write_double(std::numeric_limits<double>::infinity());
  EXPECT_EQ(to_hex(out).substr(0, 16), "FEFFFFFF01020304");
  TlReader r(out);
  EXPECT_EQ(r.read_int32(), -2);
  r.skip(2);
  EXPECT_EQ(to_hex(r.read_raw(2)), "0304");
  EXPECT_TRUE(std::isinf(r.read_double()));
  EXPECT_TRUE(r.at_end());
  r.skip(1);
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace mtedge::mtproto
