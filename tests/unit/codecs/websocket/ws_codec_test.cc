// WebSocket codec: handshake, masking, fragmentation, control frames, every protocol
// error, caps before allocation, the stream stage, and client<->server round trips.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "codecs/core/transport_stack.h"
#include "codecs/websocket/ws_frame.h"
#include "codecs/websocket/ws_handshake.h"
#include "codecs/websocket/ws_stream_stage.h"
#include "tests/support/split_feed.h"
#include "tests/support/vectors.h"

namespace mtedge::codecs::websocket {
namespace {

using namespace mtedge::test;

std::string to_string(ByteView b) {
  return std::string(b.begin(), b.end());
}

struct Recorder : DecoderSink {
  Bytes data;
  size_t messages = 0;
  std::vector<Bytes> pings, pongs;
  std::vector<uint16_t> close_codes;
  std::string close_reason;
  bool on_data(MutableByteView bytes) override {
    data.insert(data.end(), bytes.begin(), bytes.end());
    return true;
  }
  bool on_message_end() override {
    ++messages;
    return true;
  }
  bool on_ping(ByteView p) override {
    pings.emplace_back(p.begin(), p.end());
    return true;
  }
  bool on_pong(ByteView p) override {
    pongs.emplace_back(p.begin(), p.end());
    return true;
  }
  bool on_close(uint16_t code, std::string_view reason) override {
    close_codes.push_back(code);
    close_reason = reason;
    return true;
  }
};

CodecError feed_split(FrameDecoder& decoder, Bytes input, Split split, DecoderSink& sink,
                      uint32_t seed = 4242) {
  CodecError e = CodecError::kNone;
  feed_pieces(input, split_sizes(input.size(), split, seed, 53), [&](MutableByteView piece) {
    e = decoder.feed(piece, sink);
    return e == CodecError::kNone;
  });
  return e;
}

MaskSource seeded_masks(uint32_t seed) {
  auto rng = std::make_shared<std::mt19937>(seed);
  return [rng] { return static_cast<uint32_t>((*rng)()); };
}

Bytes random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = uint8_t(rng());
  return b;
}

class SplitTest : public ::testing::TestWithParam<Split> {};
INSTANTIATE_TEST_SUITE_P(AllSplits, SplitTest, ::testing::ValuesIn(kAllSplits));

// ---- handshake --------------------------------------------------------------------------

TEST(WsHandshake, Rfc6455AcceptExample) {
  EXPECT_EQ(compute_accept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsHandshake, ResponseEchoesBinary) {
  Bytes out;
  ASSERT_TRUE(build_handshake_response("dGhlIHNhbXBsZSBub25jZQ==", "binary", "13", out).is_ok());
  EXPECT_EQ(to_string(out),
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "Sec-WebSocket-Protocol: binary\r\n\r\n");
}

TEST(WsHandshake, NoProtocolOfferedMeansNoneInTheReply) {
  for (std::string_view offered : {"", "chat", "binaryx, chat"}) {
    Bytes out;
    ASSERT_TRUE(build_handshake_response("dGhlIHNhbXBsZSBub25jZQ==", offered, "13", out).is_ok());
    EXPECT_EQ(to_string(out).find("Sec-WebSocket-Protocol"), std::string::npos) << offered;
  }
  EXPECT_TRUE(offers_binary("chat, binary"));
  EXPECT_TRUE(offers_binary(" binary "));
  EXPECT_FALSE(offers_binary("binar"));
}

TEST(WsHandshake, RejectsBadKeyAndVersion) {
  Bytes out;
  EXPECT_FALSE(build_handshake_response("short", "binary", "13", out).is_ok());
  EXPECT_FALSE(build_handshake_response("dGhlIHNhbXBsZSBub25jZQ==", "binary", "8", out).is_ok());
  EXPECT_FALSE(build_handshake_response("dGhlIHNhbXBsZSBub25jZQ==", "binary", "", out).is_ok());
  EXPECT_FALSE(build_handshake_response("dGhlIHNhbXBsZSBub25jZQ=A", "binary", "13", out).is_ok());
  EXPECT_TRUE(out.empty());
  encode_version_error(out);
  EXPECT_NE(to_string(out).find("Sec-WebSocket-Version: 13\r\n"), std::string::npos);
}

// ---- decoder ----------------------------------------------------------------------------

TEST_P(SplitTest, ClientFramesVector) {
  FrameDecoder decoder(true);
  Recorder r;
  ASSERT_EQ(feed_split(decoder, read_vector("ws_client_frames.bin"), GetParam(), r),
            CodecError::kNone);
  EXPECT_EQ(r.data, read_vector("ws_client_frames.payload"));
  EXPECT_EQ(r.messages, 2u);
  ASSERT_EQ(r.pings.size(), 1u);  // interleaved inside the fragmented message
  EXPECT_EQ(to_string(r.pings[0]), "hi");
  ASSERT_EQ(r.close_codes.size(), 1u);
  EXPECT_EQ(r.close_codes[0], 1000);
  EXPECT_TRUE(decoder.close_received());
}

TEST_P(SplitTest, ServerFramesVector) {
  FrameDecoder decoder(false);
  Recorder r;
  ASSERT_EQ(feed_split(decoder, read_vector("ws_server_frames.bin"), GetParam(), r),
            CodecError::kNone);
  ASSERT_EQ(r.data.size(), 70000u);
  for (size_t i = 0; i < r.data.size(); ++i) ASSERT_EQ(r.data[i], uint8_t(i));
  EXPECT_EQ(r.close_reason, "-404");
}

TEST_P(SplitTest, ClientToServerRoundTrip) {
  MaskSource masks = seeded_masks(1);
  Bytes wire, expected;
  for (size_t size : {0u, 1u, 125u, 126u, 65535u, 65536u, 200000u}) {
    Bytes payload = random_bytes(size, uint32_t(size));
    encode_message(payload, wire, 70000, &masks);
    expected.insert(expected.end(), payload.begin(), payload.end());
  }
  encode_control(Opcode::kPing, as_bytes("p"), wire, &masks);
  encode_close(1000, "bye", wire, &masks);
  FrameDecoder decoder(true);
  Recorder r;
  ASSERT_EQ(feed_split(decoder, wire, GetParam(), r), CodecError::kNone);
  EXPECT_EQ(r.data, expected);
  EXPECT_EQ(r.messages, 7u);
  EXPECT_EQ(r.pings.size(), 1u);
  EXPECT_EQ(r.close_reason, "bye");
}

TEST_P(SplitTest, ServerToClientRoundTrip) {
  Bytes wire, expected;
  for (size_t size : {1u, 300u, 70000u, 1500000u}) {
    Bytes payload = random_bytes(size, uint32_t(size) + 9);
    encode_message(payload, wire);
    expected.insert(expected.end(), payload.begin(), payload.end());
  }
  FrameDecoder decoder(false);
  Recorder r;
  ASSERT_EQ(feed_split(decoder, wire, GetParam(), r), CodecError::kNone);
  EXPECT_EQ(r.data, expected);
  EXPECT_EQ(r.messages, 4u);
}

TEST(WsFrame, ServerMessageFragmentation) {
  Bytes payload = random_bytes(2500, 3);
  Bytes wire;
  encode_message(payload, wire, 1000);
  // binary(no FIN, 1000) + continuation(no FIN, 1000) + continuation(FIN, 500)
  ASSERT_EQ(wire.size(), 2500u + 4 + 4 + 4);
  EXPECT_EQ(wire[0], 0x02);
  EXPECT_EQ(wire[1], 126);
  EXPECT_EQ(wire[4 + 1000], 0x00);
  EXPECT_EQ(wire[8 + 2000], 0x80);
  // Default fragment size keeps every frame well under 1 MiB.
  Bytes big = random_bytes(3u << 20, 5);
  Bytes big_wire;
  encode_message(big, big_wire);
  EXPECT_EQ(big_wire.size(), big.size() + 6 * 10);  // 6 frames of 512 KiB, 10-byte headers
}

TEST(WsFrame, WrapInPlaceMatchesEncode) {
  for (size_t fragment : {size_t{100}, size_t{65536}, kDefaultFragmentSize}) {
    for (size_t size : {1u, 99u, 100u, 101u, 125u, 126u, 250u, 65535u, 65536u, 65537u, 600000u}) {
      Bytes payload = random_bytes(size, uint32_t(size ^ fragment));
      Bytes expected = {0xaa};
      encode_message(payload, expected, fragment);
      Bytes wrapped = {0xaa};
      append(wrapped, payload);
      wrap_message_in_place(wrapped, 1, fragment);
      ASSERT_EQ(wrapped, expected) << size << " / " << fragment;
    }
  }
  Bytes empty = {1, 2};
  wrap_message_in_place(empty, 2);
  EXPECT_EQ(empty, (Bytes{1, 2}));
}

TEST(WsFrame, MaskingIsApplied) {
  MaskSource masks = [] { return 0x04030201u; };  // key bytes 01 02 03 04
  Bytes wire;
  encode_message(as_bytes("abcdef"), wire, kDefaultFragmentSize, &masks);
  ASSERT_EQ(wire.size(), 2u + 4 + 6);
  EXPECT_EQ(wire[1], 0x80 | 6);
  EXPECT_EQ((Bytes(wire.begin() + 2, wire.begin() + 6)), (Bytes{1, 2, 3, 4}));
  EXPECT_EQ(wire[6], 'a' ^ 1);
  EXPECT_EQ(wire[9], 'd' ^ 4);
  EXPECT_EQ(wire[10], 'e' ^ 1);
  // apply_mask at every offset equals the byte-wise definition.
  const uint8_t key[4] = {9, 8, 7, 6};
  Bytes data = random_bytes(77, 11);
  for (size_t start = 0; start < 4; ++start) {
    Bytes a = data;
    apply_mask(a, key, start);
    for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], data[i] ^ key[(start + i) & 3]);
    // The moving variant, with the destination a few bytes before the source (overlap).
    for (size_t shift : {0u, 1u, 6u, 14u}) {
      Bytes b(shift, 0xee);
      b.insert(b.end(), data.begin(), data.end());
      apply_mask_move(b.data(), b.data() + shift, data.size(), key, start);
      for (size_t i = 0; i < data.size(); ++i) {
        ASSERT_EQ(b[i], data[i] ^ key[(start + i) & 3]) << shift << " " << i;
      }
    }
  }
}

struct BadFrame {
  const char* name;
  Bytes wire;
  bool expect_masked;
  CodecError error;
};

Bytes masked_frame(uint8_t b0, Bytes payload) {
  Bytes f = {b0, uint8_t(0x80 | payload.size()), 0, 0, 0, 0};  // zero mask key
  append(f, payload);
  return f;
}

TEST(WsFrame, ProtocolErrors) {
  std::vector<BadFrame> cases = {
      {"UnmaskedClientFrame", {0x82, 0x01, 0x00}, true, CodecError::kWsProtocolError},
      {"MaskedServerFrame", masked_frame(0x82, {1}), false, CodecError::kWsProtocolError},
      {"TextFrame", masked_frame(0x81, {'a'}), true, CodecError::kWsUnsupportedData},
      {"Rsv1", masked_frame(0xc2, {1}), true, CodecError::kWsProtocolError},
      {"Rsv3", masked_frame(0x92, {1}), true, CodecError::kWsProtocolError},
      {"ReservedOpcode", masked_frame(0x83, {1}), true, CodecError::kWsProtocolError},
      {"ReservedControlOpcode", masked_frame(0x8b, {}), true, CodecError::kWsProtocolError},
      {"ContinuationFirst", masked_frame(0x80, {1}), true, CodecError::kWsProtocolError},
      {"FragmentedPing", masked_frame(0x09, {1}), true, CodecError::kWsProtocolError},
      {"CloseOneByte", masked_frame(0x88, {3}), true, CodecError::kWsProtocolError},
      {"CloseBadCode", masked_frame(0x88, {0x03, 0xed}), true, CodecError::kWsProtocolError},
      {"NonMinimal16", {0x82, 0xfe, 0x00, 0x05, 0, 0, 0, 0}, true, CodecError::kWsProtocolError},
      {"NonMinimal64",
       {0x82, 0xff, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0, 0, 0, 0},
       true,
       CodecError::kWsProtocolError},
      {"Length64TopBit",
       {0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
       true,
       CodecError::kWsProtocolError},
  };
  {  // a new binary message inside a fragmented one
    Bytes w = masked_frame(0x02, {1});
    Bytes second = masked_frame(0x82, {2});
    w.insert(w.end(), second.begin(), second.end());
    cases.push_back({"BinaryInsideFragmented", w, true, CodecError::kWsProtocolError});
  }
  {  // control frame over 125 bytes
    Bytes w = {0x89, 0xfe, 0x00, 126, 0, 0, 0, 0};
    w.resize(w.size() + 126);
    cases.push_back({"LongPing", w, true, CodecError::kWsProtocolError});
  }
  for (const auto& c : cases) {
    for (Split split : {Split::kWhole, Split::kByteByByte}) {
      SCOPED_TRACE(c.name);
      FrameDecoder decoder(c.expect_masked);
      Recorder r;
      EXPECT_EQ(feed_split(decoder, c.wire, split, r), c.error);
      EXPECT_EQ(decoder.error(), c.error);
      EXPECT_TRUE(r.data.size() <= 1);
      Bytes more = masked_frame(0x82, {1});
      EXPECT_EQ(decoder.feed(more, r), c.error);  // sticky
    }
  }
}

TEST(WsFrame, HugeLengthRejectedBeforeAnyPayload) {
  // A 2^40-byte frame header alone: refused from the header, nothing buffered or allocated.
  Bytes wire = {0x82, 0xff, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 1, 2, 3, 4};
  FrameDecoder decoder(true);
  Recorder r;
  EXPECT_EQ(decoder.feed(wire, r), CodecError::kWsMessageTooBig);
  EXPECT_TRUE(r.data.empty());
  EXPECT_EQ(error_info(CodecError::kWsMessageTooBig).code, 1009);
}

TEST(WsFrame, MessageCapCountsAllFragments) {
  DecoderLimits limits;
  limits.max_message = 1000;
  MaskSource masks = seeded_masks(2);
  Bytes ok, too_big;
  encode_message(random_bytes(1000, 1), ok, 300, &masks);
  encode_message(random_bytes(1001, 1), too_big, 300, &masks);
  {
    FrameDecoder decoder(true, limits);
    Recorder r;
    EXPECT_EQ(decoder.feed(ok, r), CodecError::kNone);
    EXPECT_EQ(decoder.feed(ok, r), CodecError::kNone);  // the cap is per message
    EXPECT_EQ(r.data.size(), 2000u);
  }
  {
    FrameDecoder decoder(true, limits);
    Recorder r;
    EXPECT_EQ(decoder.feed(too_big, r), CodecError::kWsMessageTooBig);
    EXPECT_EQ(r.data.size(), 900u);  // three whole fragments passed, the fourth refused
  }
}

TEST(WsFrame, PongAndEmptyMessages) {
  MaskSource masks = seeded_masks(3);
  Bytes wire;
  encode_control(Opcode::kPong, as_bytes("xyz"), wire, &masks);
  encode_message({}, wire, kDefaultFragmentSize, &masks);
  FrameDecoder decoder(true);
  Recorder r;
  EXPECT_EQ(decoder.feed(wire, r), CodecError::kNone);
  ASSERT_EQ(r.pongs.size(), 1u);
  EXPECT_EQ(to_string(r.pongs[0]), "xyz");
  EXPECT_EQ(r.messages, 1u);
  EXPECT_TRUE(r.data.empty());
}

TEST(WsFrame, BytesAfterCloseAreIgnored) {
  MaskSource masks = seeded_masks(4);
  Bytes wire;
  encode_close(1001, "", wire, &masks);
  encode_message(as_bytes("late"), wire, kDefaultFragmentSize, &masks);
  FrameDecoder decoder(true);
  Recorder r;
  EXPECT_EQ(decoder.feed(wire, r), CodecError::kNone);
  EXPECT_EQ(r.close_codes, std::vector<uint16_t>{1001});
  EXPECT_TRUE(r.data.empty());
}

// ---- stream stage -----------------------------------------------------------------------

TEST_P(SplitTest, StageDeframesInPlace) {
  WsStreamStage stage(StageOptions{});
  Bytes input = read_vector("ws_client_frames.bin");
  Bytes stream;
  size_t pos = 0;
  for (size_t n : split_sizes(input.size(), GetParam(), 5, 53)) {
    CodecError e = CodecError::kNone;
    MutableByteView out = stage.inbound(MutableByteView(input.data() + pos, n), e);
    ASSERT_EQ(e, CodecError::kNone);
    EXPECT_EQ(out.data(), input.data() + pos);  // compacted to the front of the read
    stream.insert(stream.end(), out.begin(), out.end());
    pos += n;
  }
  EXPECT_EQ(stream, read_vector("ws_client_frames.payload"));
  // Ping answered with a pong, close answered with close 1000.
  Bytes pending;
  stage.take_pending(pending);
  FrameDecoder client(false);
  Recorder r;
  ASSERT_EQ(client.feed(pending, r), CodecError::kNone);
  ASSERT_EQ(r.pongs.size(), 1u);
  EXPECT_EQ(to_string(r.pongs[0]), "hi");
  EXPECT_EQ(r.close_codes, std::vector<uint16_t>{1000});
  EXPECT_TRUE(stage.close_received());
  EXPECT_TRUE(stage.should_close());
}

TEST(WsStreamStage, ProtocolErrorQueuesClose) {
  WsStreamStage stage(StageOptions{});
  Bytes bad = {0x81, 0x81, 0, 0, 0, 0, 'a'};  // masked text frame
  CodecError e = CodecError::kNone;
  EXPECT_TRUE(stage.inbound(bad, e).empty());
  EXPECT_EQ(e, CodecError::kWsUnsupportedData);
  Bytes pending;
  stage.take_pending(pending);
  EXPECT_EQ(pending, (Bytes{0x88, 0x02, 0x03, 0xeb}));  // close 1003
  EXPECT_TRUE(stage.should_close());
}

TEST(WsStreamStage, CloseWithTransportError) {
  WsStreamStage stage(StageOptions{});
  stage.close_with_transport_error(-404);
  Bytes pending;
  stage.take_pending(pending);
  EXPECT_EQ(pending, (Bytes{0x88, 0x06, 0x03, 0xe8, '-', '4', '0', '4'}));
  // Nothing is written after our close.
  Bytes out = {1, 2, 3};
  stage.outbound(out, 1);
  EXPECT_EQ(out, (Bytes{1}));
  EXPECT_FALSE(stage.should_close());  // waits for the peer's close (or a timeout)
}

// A minimal 4-byte length-prefixed framer, to show the stage inside TransportStack.
class LengthFramer final : public Framer {
 public:
  TransportKind kind() const override { return TransportKind::kIntermediate; }
  ParseResult parse(MutableByteView in) override {
    if (in.size() < 4) return ParseResult::need(4);
    size_t len = load_le32(in.data());
    if (in.size() < 4 + len) return ParseResult::need(4 + len);
    ParseResult r;
    r.kind = ParseResult::Kind::kPacket;
    r.size = 4 + len;
    r.payload_offset = 4;
    r.payload_size = len;
    return r;
  }
  void encode_packet(ByteView payload, bool, Bytes& out) override {
    append_le32(out, uint32_t(payload.size()));
    append(out, payload);
  }
  void encode_quick_ack(uint32_t token, Bytes& out) override { append_le32(out, token); }
  void encode_transport_error(int32_t code, Bytes& out) override {
    append_le32(out, 4);
    append_le32(out, uint32_t(code));
  }
  void encode_tag(Bytes&) override {}
  size_t max_overhead() const override { return 4; }
};

struct PacketSink : FrameSink {
  std::vector<Bytes> packets;
  bool on_packet(MutableByteView payload, bool) override {
    packets.emplace_back(payload.begin(), payload.end());
    return true;
  }
};

TEST(WsStreamStage, OneWriteIsOneMessageInsideTransportStack) {
  TransportStack server(std::make_unique<LengthFramer>(), FrameLimits{});
  server.add_outer_stage(std::make_unique<WsStreamStage>(StageOptions{}));
  StageOptions client_options;
  client_options.role = Role::kClient;
  client_options.mask_source = seeded_masks(8);
  TransportStack client(std::make_unique<LengthFramer>(), FrameLimits{});
  client.add_outer_stage(std::make_unique<WsStreamStage>(std::move(client_options)));

  // Client -> server: two packets, fed to the server in random splits.
  Bytes wire;
  Bytes big = random_bytes(1000000, 77);  // under the first-frame cap, over one fragment
  client.write_packet(as_bytes("hello"), false, wire);
  client.write_packet(big, false, wire);
  PacketSink got;
  size_t pos = 0;
  for (size_t n : split_sizes(wire.size(), Split::kRandom, 6, 70000)) {
    ASSERT_EQ(server.feed(MutableByteView(wire.data() + pos, n), got), CodecError::kNone);
    pos += n;
  }
  ASSERT_EQ(got.packets.size(), 2u);
  EXPECT_EQ(got.packets[1], big);

  // Server -> client: each write is exactly one WebSocket message.
  Bytes down;
  server.write_packet(big, false, down);
  server.write_quick_ack(0x80000001u, down);
  server.write_transport_error(-404, down);
  FrameDecoder decoder(false);
  Recorder r;
  Bytes copy = down;
  ASSERT_EQ(decoder.feed(copy, r), CodecError::kNone);
  EXPECT_EQ(r.messages, 3u);
  EXPECT_EQ(r.data.size(), 4 + big.size() + 4 + 8);
  // The 1 MB packet went out as frames of at most 512 KiB: first header says so.
  EXPECT_EQ(down[0], 0x02);
  EXPECT_EQ(down[1], 127);
  EXPECT_EQ(load_be32(&down[6]), kDefaultFragmentSize);
  // And the client stack reads them back (this toy framer has no quick-ack form).
  Bytes down2;
  server.write_packet(big, false, down2);
  server.write_transport_error(-404, down2);
  PacketSink back;
  ASSERT_EQ(client.feed(down2, back), CodecError::kNone);
  ASSERT_EQ(back.packets.size(), 2u);
  EXPECT_EQ(back.packets[0], big);
  EXPECT_EQ(load_le32(back.packets[1].data()), uint32_t(-404));
}

TEST(WsStreamStage, PassThroughBytesComeFirstUnchanged) {
  // An acceptor read the first message's payload (the obfuscated2 init and a few bytes
  // more) and hands the unused, already unframed tail back with the next socket bytes.
  const Bytes tail = random_bytes(5, 1);
  const Bytes next = random_bytes(300, 2);
  MaskSource masks = seeded_masks(3);
  Bytes wire = tail;
  encode_message(next, wire, kDefaultFragmentSize, &masks);
  WsStreamStage stage(StageOptions{});
  stage.pass_through(tail.size());
  CodecError e = CodecError::kNone;
  MutableByteView out = stage.inbound(wire, e);
  ASSERT_EQ(e, CodecError::kNone);
  Bytes expected = tail;
  append(expected, next);
  EXPECT_EQ(Bytes(out.begin(), out.end()), expected);
}

}  // namespace
}  // namespace mtedge::codecs::websocket
