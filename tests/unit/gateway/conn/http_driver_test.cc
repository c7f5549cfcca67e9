// The HTTP driver through a FakePort: MTProto over POST, long poll, routing by auth key,
// errors. No socket, a hand-driven clock.
#include "gateway/conn/http_driver.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/framer_harness.h"
#include "tests/unit/gateway/conn/fake_port.h"

namespace mtedge::gateway::testing {
namespace {

using backend::CloseReason;
using codecs::test::make_payload;

Bytes to_bytes(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

Bytes post(ByteView body) {
  Bytes out =
      to_bytes("POST /api HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
               "\r\n\r\n");
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes packet_for(uint64_t auth_key_id, size_t size, uint32_t seed = 1) {
  Bytes p = make_payload(size, seed);
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(auth_key_id >> (8 * i));
  return p;
}

struct Reply {
  std::string status_line;
  Bytes body;
};

// Splits the replies written so far (each with a Content-Length).
std::vector<Reply> replies(const Bytes& written) {
  std::vector<Reply> out;
  const std::string text(written.begin(), written.end());
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t head_end = text.find("\r\n\r\n", pos);
    if (head_end == std::string::npos) break;
    const std::string head = text.substr(pos, head_end - pos);
    size_t length = 0;
    if (const size_t cl = head.find("Content-Length: "); cl != std::string::npos) {
      length = std::stoul(head.substr(cl + 16));
    }
    Reply r;
    r.status_line = head.substr(0, head.find("\r\n"));
    r.body.assign(written.begin() + static_cast<std::ptrdiff_t>(head_end + 4),
                  written.begin() + static_cast<std::ptrdiff_t>(head_end + 4 + length));
    out.push_back(std::move(r));
    pos = head_end + 4 + length;
  }
  return out;
}

class HttpDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port.listener_.transports.add(codecs::TransportKind::kHttp);
    port.settings_.http_max_wait_ms = 3000;
    port.settings_.idle_timeout_ms = 10000;
    port.start_sniffing();
  }
  FakePort port;
};

TEST_F(HttpDriverTest, PostReachesTheAdapterAndTheAnswerComesBack) {
  const Bytes request = packet_for(0xabcdef, 40);
  const Bytes bytes = post(request);
  for (size_t i = 0; i < bytes.size(); ++i) port.read(ByteView(bytes).subspan(i, 1));
  EXPECT_EQ(port.mode, "http");
  ASSERT_EQ(port.adapter_.opened.size(), 1u);
  EXPECT_EQ(port.adapter_.opened[0].transport, codecs::TransportKind::kHttp);
  ASSERT_EQ(port.adapter_.frames.size(), 1u);
  EXPECT_EQ(port.adapter_.frames[0].auth_key_id, 0xabcdefu);
  EXPECT_EQ(port.adapter_.frames[0].packet, request);
  EXPECT_FALSE(port.adapter_.frames[0].quick_ack);
  EXPECT_EQ(port.held, std::vector<uint64_t>{0xabcdef});  // a request waits under its key
  EXPECT_TRUE(port.take_written().empty());

  const Bytes answer = packet_for(0xabcdef, 72, 2);
  EXPECT_TRUE(port.driver->send_packet(answer));
  const std::vector<Reply> r = replies(port.take_written());
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(r[0].body, answer);
  EXPECT_TRUE(port.held.empty());  // nothing waits any more
  EXPECT_EQ(port.metrics_.frames_out.get(), 1u);
}

TEST_F(HttpDriverTest, LongPollExpiresThenTheIdleConnectionCloses) {
  port.read(post(packet_for(5, 24)));
  ASSERT_EQ(port.timer_due, port.now + 3000);  // the request's max wait
  port.fire_timer();
  const std::vector<Reply> r = replies(port.take_written());
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status_line, "HTTP/1.1 200 OK");
  EXPECT_TRUE(r[0].body.empty());
  EXPECT_FALSE(port.closing());
  ASSERT_EQ(port.timer_due, port.last_activity + 10000);
  port.fire_timer();
  EXPECT_TRUE(port.closed);
  EXPECT_EQ(port.close_reason, CloseReason::kTimeout);
  EXPECT_EQ(port.adapter_.closed, CloseReason::kTimeout);
}

TEST_F(HttpDriverTest, PacketWithNoWaitingRequestIsRoutedByAuthKey) {
  port.read(post(packet_for(9, 24)));
  ASSERT_TRUE(port.driver->send_packet(packet_for(9, 30, 2)));  // answers the one request
  port.take_written();
  port.route_to = 0x77;
  const Bytes later = packet_for(9, 30, 3);
  EXPECT_TRUE(port.driver->send_packet(later));
  ASSERT_EQ(port.routed.size(), 1u);
  EXPECT_EQ(port.routed[0].first, 9u);
  EXPECT_EQ(port.routed[0].second, later);
  EXPECT_EQ(port.metrics_.http_routes[static_cast<size_t>(HttpRouteOutcome::kRouted)].get(), 1u);
  EXPECT_TRUE(port.written.empty());
}

TEST_F(HttpDriverTest, RoutedPacketAnswersTheNextRequest) {
  port.read(post(packet_for(9, 24)));
  ASSERT_TRUE(port.driver->send_packet(packet_for(9, 30, 2)));
  port.take_written();
  const Bytes routed = packet_for(9, 50, 4);
  EXPECT_TRUE(port.driver->take_routed_http(routed));  // queued: no request waits
  EXPECT_TRUE(port.written.empty());
  port.read(post(packet_for(9, 24, 5)));
  const std::vector<Reply> r = replies(port.take_written());
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].body, routed);
}

TEST_F(HttpDriverTest, ShortBodyIsAnsweredWithTheTransportError) {
  port.read(post(make_payload(4)));
  EXPECT_TRUE(port.adapter_.frames.empty());
  EXPECT_EQ(port.metrics_.gateway_errors[static_cast<size_t>(GatewayError::kShortPacket)].get(),
            1u);
  const std::vector<Reply> r = replies(port.take_written());
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status_line.rfind("HTTP/1.1 404", 0), 0u) << r[0].status_line;
}

TEST_F(HttpDriverTest, CodecErrorAnswersAndCloses) {
  port.read(to_bytes("POST /api HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n"));
  EXPECT_TRUE(port.close_after_flush);
  EXPECT_EQ(port.close_reason, CloseReason::kProtocolError);
  uint64_t codec_errors = 0;
  for (const auto& c : port.metrics_.codec_errors) codec_errors += c.get();
  EXPECT_EQ(codec_errors, 1u);
  const std::vector<Reply> r = replies(port.take_written());
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status_line.rfind("HTTP/1.1 4", 0), 0u) << r[0].status_line;
}

TEST_F(HttpDriverTest, AdapterTransportErrorAnswersTheWaitingRequest) {
  port.read(post(packet_for(3, 24)));
  port.driver->send_transport_error(-404);
  const std::vector<Reply> r = replies(port.take_written());
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status_line.rfind("HTTP/1.1 404", 0), 0u) << r[0].status_line;
}

// Preflights are answered by the codec itself and open no exchange: past the codec's
// pipelining cap the driver must still resume it, or the POST behind them is never parsed.
TEST_F(HttpDriverTest, PipelinedPreflightsDoNotStallThePostBehindThem) {
  Bytes bytes;
  for (int i = 0; i < 17; ++i) {
    append(bytes, to_bytes("OPTIONS /apiw1 HTTP/1.1\r\nHost: x\r\nOrigin: https://a.example\r\n"
                           "Access-Control-Request-Method: POST\r\n\r\n"));
  }
  const Bytes request = packet_for(0x99, 24);
  append(bytes, post(request));
  port.read(bytes);
  ASSERT_EQ(port.adapter_.frames.size(), 1u);
  EXPECT_EQ(port.adapter_.frames[0].packet, request);
  EXPECT_EQ(replies(port.take_written()).size(), 17u);
}

TEST_F(HttpDriverTest, ClosingReleasesTheHold) {
  port.read(post(packet_for(0x55, 24)));
  EXPECT_EQ(port.held, std::vector<uint64_t>{0x55});
  port.close_now(CloseReason::kPeerClosed);
  EXPECT_TRUE(port.held.empty());
  EXPECT_EQ(port.adapter_.closed, CloseReason::kPeerClosed);
}

}  // namespace
}  // namespace mtedge::gateway::testing
