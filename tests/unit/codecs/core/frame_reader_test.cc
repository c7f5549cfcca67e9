// FrameReader and TransportStack: the buffering, caps and stage plumbing every framer shares.
#include "codecs/core/frame_reader.h"

#include <gtest/gtest.h>

#include "codecs/core/transport_stack.h"
#include "codecs/intermediate/intermediate.h"
#include "tests/support/framer_harness.h"
#include "tests/support/hex.h"

namespace mtedge::codecs {
namespace {

using namespace mtedge::codecs::test;
using namespace mtedge::test;

// A framer that returns a scripted result, to check how the reader treats broken framers.
class ScriptedFramer final : public Framer {
 public:
  explicit ScriptedFramer(ParseResult r) : result(r) {}
  TransportKind kind() const override { return TransportKind::kIntermediate; }
  ParseResult parse(MutableByteView) override {
    ++calls;
    return result;
  }
  void encode_packet(ByteView, bool, Bytes&) override {}
  void encode_quick_ack(uint32_t, Bytes&) override {}
  void encode_transport_error(int32_t, Bytes&) override {}
  void encode_tag(Bytes&) override {}
  size_t max_overhead() const override { return 4; }
  ParseResult result;
  int calls = 0;
};

TEST(FrameReaderTest, ZeroSizedUnitFromAFramerIsAnErrorNotALoop) {
  for (auto kind : {ParseResult::Kind::kSkip, ParseResult::Kind::kQuickAck,
                    ParseResult::Kind::kTransportError, ParseResult::Kind::kPacket}) {
    ParseResult r;
    r.kind = kind;
    r.size = 0;
    ScriptedFramer framer(r);
    FrameReader reader(framer, {});
    RecordingSink sink;
    Bytes data = from_hex("01020304");
    EXPECT_EQ(reader.feed(data, sink), CodecError::kBadLength);
    EXPECT_EQ(framer.calls, 1);
    EXPECT_TRUE(sink.events.empty());
  }
}

TEST(FrameReaderTest, UnitLargerThanInputIsRejected) {
  ParseResult r;
  r.kind = ParseResult::Kind::kPacket;
  r.size = 8;
  r.payload_offset = 4;
  r.payload_size = 4;
  ScriptedFramer framer(r);
  FrameReader reader(framer, {});
  RecordingSink sink;
  Bytes data = from_hex("01020304");
  EXPECT_EQ(reader.feed(data, sink), CodecError::kBadLength);
  EXPECT_TRUE(sink.events.empty());
}

TEST(FrameReaderTest, NeedMoreForBytesAlreadyThereIsRejected) {
  ScriptedFramer framer(ParseResult::need(2));
  FrameReader reader(framer, {});
  RecordingSink sink;
  Bytes data = from_hex("01020304");
  EXPECT_EQ(reader.feed(data, sink), CodecError::kBadLength);
}

TEST(FrameReaderTest, TailIsToppedUpOnlyToTheUnitAndRestParsedInPlace) {
  intermediate::IntermediateFramer framer(Role::kServer);
  FrameReader reader(framer, {});
  RecordingSink sink;
  Bytes stream;
  framer.encode_packet(make_payload(100, 1), false, stream);
  framer.encode_packet(make_payload(200, 2), false, stream);
  framer.encode_packet(make_payload(300, 3), false, stream);
  Bytes a(stream.begin(), stream.begin() + 2);     // half a header
  Bytes b(stream.begin() + 2, stream.end() - 10);  // rest of frame 1, frame 2, most of 3
  Bytes c(stream.end() - 10, stream.end());
  EXPECT_EQ(reader.feed(a, sink), CodecError::kNone);
  EXPECT_EQ(reader.buffered(), 2u);
  EXPECT_EQ(reader.feed(b, sink), CodecError::kNone);
  EXPECT_EQ(sink.events.size(), 2u);
  EXPECT_EQ(reader.buffered(), 304u - 10u);
  EXPECT_EQ(reader.feed(c, sink), CodecError::kNone);
  ASSERT_EQ(sink.events.size(), 3u);
  EXPECT_EQ(sink.events[2].payload, make_payload(300, 3));
  EXPECT_EQ(reader.buffered(), 0u);
  EXPECT_EQ(reader.packets(), 3u);
}

TEST(FrameReaderTest, SmallTailKeepsItsBufferUntilShrink) {
  intermediate::IntermediateFramer framer(Role::kServer);
  FrameReader reader(framer, {});
  RecordingSink sink;
  Bytes stream;
  framer.encode_packet(make_payload(64), false, stream);
  Bytes a(stream.begin(), stream.begin() + 10), b(stream.begin() + 10, stream.end());
  EXPECT_EQ(reader.feed(a, sink), CodecError::kNone);
  EXPECT_EQ(reader.feed(b, sink), CodecError::kNone);
  EXPECT_EQ(reader.buffered(), 0u);
  EXPECT_GT(reader.buffer_capacity(), 0u);
  EXPECT_LE(reader.buffer_capacity(), FrameReader::kRetainedCapacity);
  reader.shrink();
  EXPECT_EQ(reader.buffer_capacity(), 0u);
}

TEST(FrameReaderTest, LargeTailIsReleasedOnceTheUnitIsDone) {
  intermediate::IntermediateFramer framer(Role::kServer);
  FrameReader reader(framer, {});
  RecordingSink sink;
  Bytes stream;
  framer.encode_packet(make_payload(200000), false, stream);
  framer.encode_packet(make_payload(64), false, stream);
  size_t cut = stream.size() - 30;  // the second frame stays split
  for (size_t pos = 0; pos < cut; pos += 4096) {
    Bytes chunk(stream.begin() + pos, stream.begin() + std::min(cut, pos + 4096));
    EXPECT_EQ(reader.feed(chunk, sink), CodecError::kNone);
  }
  EXPECT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(reader.buffered(), 68u - 30u);
  EXPECT_LE(reader.buffer_capacity(), FrameReader::kRetainedCapacity);
}

TEST(FrameReaderTest, ShrinkKeepsBufferedBytes) {
  intermediate::IntermediateFramer framer(Role::kServer);
  FrameReader reader(framer, {});
  RecordingSink sink;
  Bytes partial = from_hex("08000000 0102");
  EXPECT_EQ(reader.feed(partial, sink), CodecError::kNone);
  reader.shrink();
  EXPECT_EQ(reader.buffered(), 6u);
  Bytes rest = from_hex("030405060708");
  EXPECT_EQ(reader.feed(rest, sink), CodecError::kNone);
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0].payload, from_hex("0102030405060708"));
}

TEST(FrameReaderTest, EmptyFeedIsANoOp) {
  intermediate::IntermediateFramer framer(Role::kServer);
  FrameReader reader(framer, {});
  RecordingSink sink;
  EXPECT_EQ(reader.feed({}, sink), CodecError::kNone);
  EXPECT_EQ(reader.buffered(), 0u);
}

// A stage that XORs every byte with a key, as a stand-in for AES-CTR.
class XorStage final : public StreamStage {
 public:
  explicit XorStage(uint8_t key) : key_(key) {}
  MutableByteView inbound(MutableByteView in, CodecError&) override {
    for (auto& b : in) b ^= key_;
    return in;
  }
  void outbound(Bytes& out, size_t from) override {
    for (size_t i = from; i < out.size(); ++i) out[i] ^= key_;
  }

 private:
  uint8_t key_;
};

class FailingStage final : public StreamStage {
 public:
  MutableByteView inbound(MutableByteView, CodecError& error) override {
    error = CodecError::kObfuscatedBadTag;
    return {};
  }
  void outbound(Bytes&, size_t) override {}
};

TEST(TransportStackTest, EverythingWrittenPassesThroughTheStagesInOrder) {
  auto make = [] {
    TransportStack stack(std::make_unique<intermediate::IntermediateFramer>(Role::kServer), {});
    stack.add_outer_stage(std::make_unique<XorStage>(0x0f));
    stack.add_outer_stage(std::make_unique<XorStage>(0xf0));  // outermost
    return stack;
  };
  TransportStack server = make();
  Bytes out;
  server.write_packet(make_payload(32), false, out);
  server.write_quick_ack(0xa1abe8da, out);
  server.write_transport_error(-404, out);
  // Both stages together XOR with 0xff.
  Bytes plain;
  intermediate::IntermediateFramer ref(Role::kServer);
  ref.encode_packet(make_payload(32), false, plain);
  ref.encode_quick_ack(0xa1abe8da, plain);
  ref.encode_transport_error(-404, plain);
  ASSERT_EQ(out.size(), plain.size());
  for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i], plain[i] ^ 0xff);

  // Inbound: a client's frames, obfuscated the same way, come out as packets.
  Bytes in;
  intermediate::IntermediateFramer client(Role::kClient);
  client.encode_packet(make_payload(48), true, in);
  for (auto& b : in) b ^= 0xff;
  RecordingSink sink;
  TransportStack reader = make();
  for (size_t i = 0; i < in.size(); ++i) {
    Bytes one(in.begin() + i, in.begin() + i + 1);
    EXPECT_EQ(reader.feed(one, sink), CodecError::kNone);
  }
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_TRUE(sink.events[0] == packet(make_payload(48), true));
}

// Adds a constant to every byte outbound, subtracts it inbound: does not commute with XOR,
// so the order of the stages shows.
class AddStage final : public StreamStage {
 public:
  explicit AddStage(uint8_t k) : k_(k) {}
  MutableByteView inbound(MutableByteView in, CodecError&) override {
    for (auto& b : in) b = uint8_t(b - k_);
    return in;
  }
  void outbound(Bytes& out, size_t from) override {
    for (size_t i = from; i < out.size(); ++i) out[i] = uint8_t(out[i] + k_);
  }

 private:
  uint8_t k_;
};

TEST(TransportStackTest, ThreeStagesRunOutermostFirstInboundAndInnermostFirstOutbound) {
  auto make = [] {
    TransportStack stack(std::make_unique<intermediate::IntermediateFramer>(Role::kServer), {});
    stack.add_outer_stage(std::make_unique<XorStage>(0x0f));  // innermost
    stack.add_outer_stage(std::make_unique<AddStage>(3));
    stack.add_outer_stage(std::make_unique<XorStage>(0x55));  // outermost
    return stack;
  };
  auto wire = [](uint8_t b) { return uint8_t(uint8_t((b ^ 0x0f) + 3) ^ 0x55); };
  TransportStack server = make();
  Bytes out;
  server.write_packet(make_payload(20), false, out);
  Bytes plain;
  intermediate::IntermediateFramer ref(Role::kServer);
  ref.encode_packet(make_payload(20), false, plain);
  ASSERT_EQ(out.size(), plain.size());
  for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i], wire(plain[i])) << i;

  Bytes in;
  intermediate::IntermediateFramer client(Role::kClient);
  client.encode_packet(make_payload(20), false, in);
  for (auto& b : in) b = wire(b);
  RecordingSink sink;
  TransportStack reader = make();
  EXPECT_EQ(reader.feed(in, sink), CodecError::kNone);
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_TRUE(sink.events[0] == packet(make_payload(20), false));
}

TEST(TransportStackDeathTest, MoreThanMaxStagesAborts) {
  TransportStack stack(std::make_unique<intermediate::IntermediateFramer>(Role::kServer), {});
  for (size_t i = 0; i < TransportStack::kMaxStages; ++i)
    stack.add_outer_stage(std::make_unique<XorStage>(1));
  EXPECT_DEATH(stack.add_outer_stage(std::make_unique<XorStage>(1)), "");
}

TEST(TransportStackTest, StageErrorIsSticky) {
  TransportStack stack(std::make_unique<intermediate::IntermediateFramer>(Role::kServer), {});
  stack.add_outer_stage(std::make_unique<FailingStage>());
  RecordingSink sink;
  Bytes data = from_hex("04000000 01020304");
  EXPECT_EQ(stack.feed(data, sink), CodecError::kObfuscatedBadTag);
  EXPECT_EQ(stack.feed(data, sink), CodecError::kObfuscatedBadTag);
  EXPECT_EQ(stack.error(), CodecError::kObfuscatedBadTag);
  EXPECT_TRUE(sink.events.empty());
}

TEST(TransportStackTest, ClientTagGoesThroughStages) {
  TransportStack stack(std::make_unique<intermediate::IntermediateFramer>(Role::kClient), {});
  stack.add_outer_stage(std::make_unique<XorStage>(0x01));
  Bytes out;
  stack.write_tag(out);
  EXPECT_EQ(out, from_hex("efefefef"));
}

}  // namespace
}  // namespace mtedge::codecs
