// The sniffing and streaming drivers through a FakePort: no socket, a hand-driven clock.
#include "gateway/conn/stream_driver.h"

#include <gtest/gtest.h>

#include "codecs/detector/detector.h"
#include "codecs/framers/framers.h"
#include "tests/support/framer_harness.h"
#include "tests/unit/gateway/conn/fake_port.h"

namespace mtedge::gateway::testing {
namespace {

using backend::CloseReason;
using codecs::Role;
using codecs::TransportKind;
using codecs::TransportStack;
using codecs::test::Event;
using codecs::test::make_payload;
using codecs::test::RecordingSink;

// A client's view of an intermediate connection: encodes what it sends, decodes the answers.
struct Client {
  TransportStack stack{codecs::make_framer(TransportKind::kIntermediate, Role::kClient),
                       codecs::FrameLimits{}};
  Bytes tag() {
    Bytes out;
    stack.write_tag(out);
    return out;
  }
  Bytes packet(ByteView payload, bool quick_ack = false) {
    Bytes out;
    stack.write_packet(payload, quick_ack, out);
    return out;
  }
  std::vector<Event> decode(Bytes bytes) {
    RecordingSink sink;
    EXPECT_EQ(stack.feed(MutableByteView(bytes.data(), bytes.size()), sink),
              codecs::CodecError::kNone);
    return sink.events;
  }
};

Bytes encrypted_packet(uint64_t auth_key_id, size_t size, uint32_t seed = 1) {
  Bytes p = make_payload(size, seed);
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(auth_key_id >> (8 * i));
  return p;
}

class StreamDriverTest : public ::testing::Test {
 protected:
  void SetUp() override { port.start_sniffing(); }
  FakePort port;
  Client client;
};

TEST_F(StreamDriverTest, FramesReachTheAdapterInEverySplit) {
  for (codecs::test::Split split : codecs::test::kAllSplits) {
    SCOPED_TRACE(codecs::test::split_name(split));
    FakePort fresh;
    fresh.start_sniffing();
    Client c;
    Bytes stream = c.tag();
    const Bytes first = encrypted_packet(0, 40, 1);
    const Bytes second = encrypted_packet(0x1122334455667788, 300, 2);
    for (const Bytes& framed : {c.packet(first), c.packet(second, true)}) {
      stream.insert(stream.end(), framed.begin(), framed.end());
    }
    std::mt19937 rng(7);
    for (size_t pos = 0; pos < stream.size();) {
      size_t n = stream.size() - pos;
      if (split == codecs::test::Split::kByteByByte) n = 1;
      if (split == codecs::test::Split::kRandom) n = std::min<size_t>(n, 1 + rng() % 97);
      fresh.read(ByteView(stream).subspan(pos, n));
      pos += n;
    }
    EXPECT_EQ(fresh.mode, "stream");
    ASSERT_EQ(fresh.adapter_.opened.size(), 1u);
    EXPECT_EQ(fresh.adapter_.opened[0].transport, TransportKind::kIntermediate);
    EXPECT_EQ(fresh.adapter_.opened[0].id, 0x42u);
    ASSERT_EQ(fresh.adapter_.frames.size(), 2u);
    EXPECT_EQ(fresh.adapter_.frames[0].kind, backend::FrameKind::kUnencrypted);
    EXPECT_EQ(fresh.adapter_.frames[0].packet, first);
    EXPECT_EQ(fresh.adapter_.frames[1].kind, backend::FrameKind::kEncrypted);
    EXPECT_EQ(fresh.adapter_.frames[1].auth_key_id, 0x1122334455667788u);
    EXPECT_TRUE(fresh.adapter_.frames[1].quick_ack);
    EXPECT_EQ(fresh.metrics_.frames_in.get(), 2u);
    EXPECT_FALSE(fresh.closing());
  }
}

TEST_F(StreamDriverTest, AnswersComeBackFramed) {
  port.read(client.tag());
  ASSERT_EQ(port.mode, "stream");
  const Bytes answer = encrypted_packet(7, 64);
  EXPECT_TRUE(port.driver->send_packet(answer));
  port.driver->send_quick_ack(0x80001234u);
  EXPECT_GT(port.dirty_marks, 0);
  const std::vector<Event> events = client.decode(port.take_written());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], codecs::test::packet(answer));
  EXPECT_EQ(events[1], codecs::test::quick_ack(0x80001234u));
  EXPECT_EQ(port.metrics_.frames_out.get(), 1u);
  EXPECT_EQ(port.metrics_.quick_acks_out.get(), 1u);
}

TEST_F(StreamDriverTest, CodecErrorClosesWithTheTransportsError) {
  port.settings_.max_frame_bytes = 1024;
  port.settings_.first_frame_max_bytes = 1024;
  Bytes stream = client.tag();
  const Bytes big = client.packet(encrypted_packet(0, 2048));
  stream.insert(stream.end(), big.begin(), big.end());
  port.read(stream);
  EXPECT_TRUE(port.adapter_.frames.empty());
  EXPECT_TRUE(port.close_after_flush);
  EXPECT_EQ(port.close_reason, CloseReason::kProtocolError);
  EXPECT_EQ(
      port.metrics_.codec_errors[static_cast<size_t>(codecs::CodecError::kFrameTooLarge)].get(),
      1u);
  const std::vector<Event> events = client.decode(port.take_written());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], codecs::test::transport_error(-429));
}

TEST_F(StreamDriverTest, ShortPacketGetsMinus404AndCloses) {
  Bytes stream = client.tag();
  const Bytes short_packet = client.packet(make_payload(4));
  stream.insert(stream.end(), short_packet.begin(), short_packet.end());
  port.read(stream);
  EXPECT_TRUE(port.adapter_.frames.empty());
  EXPECT_EQ(port.metrics_.gateway_errors[static_cast<size_t>(GatewayError::kShortPacket)].get(),
            1u);
  EXPECT_EQ(port.close_reason, CloseReason::kProtocolError);
  const std::vector<Event> events = client.decode(port.take_written());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], codecs::test::transport_error(-404));
}

TEST_F(StreamDriverTest, UnknownTransportIsFrontedWithEveryByte) {
  port.listener_.transports.remove(TransportKind::kObfuscated);  // else any 64 bytes may be an init
  Bytes junk = make_payload(100);
  junk[0] = 'S';  // no tag; "full" waits for 8 bytes while bytes 4.. are zero
  junk[4] = junk[5] = 0;
  junk[6] = 1;
  port.read(ByteView(junk).first(6));  // peeked: the detector needs more
  EXPECT_FALSE(port.closing());
  port.read(ByteView(junk).subspan(6));
  EXPECT_EQ(port.fronted, junk);
  EXPECT_TRUE(port.closing());
  EXPECT_EQ(
      port.metrics_.codec_errors[static_cast<size_t>(codecs::CodecError::kUnknownTransport)].get(),
      1u);
}

TEST_F(StreamDriverTest, DetectionTimesOut) {
  port.arm_timer(port.settings_.detect_timeout_ms);
  port.read(Bytes{0xee, 0xee});  // half a tag
  EXPECT_EQ(port.mode, "sniff");
  port.fire_timer();
  EXPECT_TRUE(port.closed);
  EXPECT_EQ(port.close_reason, CloseReason::kTimeout);
  EXPECT_EQ(port.metrics_.gateway_errors[static_cast<size_t>(GatewayError::kDetectTimeout)].get(),
            1u);
}

TEST_F(StreamDriverTest, TimersParkThenCloseIdle) {
  port.settings_.park_after_ms = 1000;
  port.settings_.idle_timeout_ms = 5000;
  port.read(client.tag());
  ASSERT_EQ(port.timer_due, port.now + 1000);
  port.fire_timer();  // quiet for park_after_ms: parks, tells the adapter
  EXPECT_EQ(port.adapter_.quiet, 1);
  EXPECT_EQ(port.released, 1);
  EXPECT_EQ(port.timer_due, 1000u + 5000u);
  port.now += 500;
  port.read(client.packet(encrypted_packet(9, 16)));  // traffic: re-arms the park check
  EXPECT_EQ(port.adapter_.frames.size(), 1u);
  EXPECT_EQ(port.timer_due, port.now + 1000);
  port.fire_timer();
  EXPECT_EQ(port.adapter_.quiet, 2);
  port.fire_timer();  // idle_timeout_ms after the last traffic
  EXPECT_TRUE(port.closed);
  EXPECT_EQ(port.close_reason, CloseReason::kTimeout);
  EXPECT_EQ(port.adapter_.closed, CloseReason::kTimeout);
  EXPECT_EQ(port.metrics_.gateway_errors[static_cast<size_t>(GatewayError::kIdleTimeout)].get(),
            1u);
}

TEST_F(StreamDriverTest, AdapterPauseStopsReadingUntilResumed) {
  port.adapter_.accept_frames = false;
  Bytes stream = client.tag();
  for (int i = 0; i < 2; ++i) {
    const Bytes p = client.packet(encrypted_packet(0, 20, i));
    stream.insert(stream.end(), p.begin(), p.end());
  }
  port.read(stream);
  EXPECT_EQ(port.adapter_.frames.size(), 2u);  // what was read still reaches the adapter
  EXPECT_FALSE(port.reading);
  port.driver->resume_reading();
  EXPECT_TRUE(port.reading);
}

TEST_F(StreamDriverTest, AdapterTransportErrorIsFramedThenCloses) {
  port.read(client.tag());
  port.driver->send_transport_error(-444);
  EXPECT_EQ(port.close_reason, CloseReason::kAdapter);
  const std::vector<Event> events = client.decode(port.take_written());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], codecs::test::transport_error(-444));
}

}  // namespace
}  // namespace mtedge::gateway::testing
