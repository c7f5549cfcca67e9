// Boost.Beast as an independent HTTP implementation: Beast serializes requests our server
// codec parses, and Beast's parser reads the responses our codec writes.
#include <gtest/gtest.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "codecs/http/http_response.h"
#include "codecs/http/http_server_codec.h"

namespace mtedge::codecs::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using BeastRequest = bhttp::request<bhttp::vector_body<uint8_t>>;
using BeastResponse = bhttp::response<bhttp::vector_body<uint8_t>>;

struct Collector : RequestSink {
  std::vector<Bytes> bodies;
  std::vector<uint64_t> ids;
  std::vector<std::string> paths;
  bool on_request(const Request& r) override {
    bodies.emplace_back(r.body.begin(), r.body.end());
    ids.push_back(r.id);
    paths.emplace_back(r.path);
    return true;
  }
  bool on_upgrade(const UpgradeRequest&) override { return true; }
};

Bytes serialize(BeastRequest& req) {
  req.prepare_payload();
  std::ostringstream os;
  os << req;
  std::string s = os.str();
  return Bytes(s.begin(), s.end());
}

BeastRequest make_post(const std::string& target, Bytes body) {
  BeastRequest req{bhttp::verb::post, target, 11};
  req.set(bhttp::field::host, "127.0.0.1:8080");
  req.set(bhttp::field::content_type, "application/x-www-form-urlencoded");
  req.keep_alive(true);
  req.body() = std::move(body);
  return req;
}

// Parses consecutive responses with Beast; returns them in order.
std::vector<BeastResponse> beast_parse(const Bytes& wire) {
  std::vector<BeastResponse> out;
  size_t pos = 0;
  while (pos < wire.size()) {
    bhttp::response_parser<bhttp::vector_body<uint8_t>> parser;
    parser.eager(true);
    parser.body_limit(64u << 20);
    beast::error_code ec;
    size_t used = parser.put(boost::asio::buffer(wire.data() + pos, wire.size() - pos), ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_TRUE(parser.is_done());
    if (ec || used == 0) break;
    pos += used;
    out.push_back(parser.release());
  }
  return out;
}

TEST(HttpBeast, BeastRequestsPipelinedAndBeastParsesOurResponses) {
  std::vector<Bytes> bodies = {Bytes(40, 0x11), Bytes(), Bytes(100000, 0x22)};
  Bytes wire;
  for (size_t i = 0; i < bodies.size(); ++i) {
    BeastRequest req = make_post(i == 1 ? "/apiw1" : "/api", bodies[i]);
    Bytes one = serialize(req);
    wire.insert(wire.end(), one.begin(), one.end());
  }
  HttpServerCodec codec;
  Collector sink;
  for (size_t pos = 0; pos < wire.size(); pos += 1000) {  // arbitrary split
    size_t n = std::min<size_t>(1000, wire.size() - pos);
    ASSERT_EQ(codec.feed(MutableByteView(wire.data() + pos, n), sink).error, CodecError::kNone);
  }
  ASSERT_EQ(sink.bodies, bodies);
  EXPECT_EQ(sink.paths[1], "/apiw1");
  for (size_t i = bodies.size(); i-- > 0;) ASSERT_TRUE(codec.respond(sink.ids[i], bodies[i]));
  Bytes out;
  codec.take_output(out);
  std::vector<BeastResponse> responses = beast_parse(out);
  ASSERT_EQ(responses.size(), bodies.size());
  for (size_t i = 0; i < bodies.size(); ++i) {
    const BeastResponse& r = responses[i];
    EXPECT_EQ(r.result_int(), 200u);
    EXPECT_TRUE(r.keep_alive());
    EXPECT_EQ(r[bhttp::field::content_type], "application/octet-stream");
    EXPECT_EQ(r[bhttp::field::cache_control], "no-store");
    EXPECT_EQ(r[bhttp::field::pragma], "no-cache");
    EXPECT_EQ(r.body(), bodies[i]);
    bool web = i == 1;
    EXPECT_EQ(r[bhttp::field::access_control_allow_origin], web ? "*" : "");
    EXPECT_EQ(r[bhttp::field::access_control_allow_methods], web ? "POST, OPTIONS" : "");
  }
}

TEST(HttpBeast, BeastOptionsPreflight) {
  BeastRequest req{bhttp::verb::options, "/apiw1_premium", 11};
  req.set(bhttp::field::host, "x");
  req.set(bhttp::field::origin, "https://web.telegram.org");
  req.set(bhttp::field::access_control_request_method, "POST");
  Bytes wire = serialize(req);
  HttpServerCodec codec;
  Collector sink;
  ASSERT_EQ(codec.feed(wire, sink).error, CodecError::kNone);
  EXPECT_TRUE(sink.bodies.empty());
  Bytes out;
  codec.take_output(out);
  auto responses = beast_parse(out);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].result_int(), 200u);
  EXPECT_EQ(responses[0][bhttp::field::access_control_allow_headers], "origin, content-type");
  EXPECT_EQ(responses[0][bhttp::field::access_control_max_age], "1728000");
}

TEST(HttpBeast, BeastChunkedRequestNeedsLength) {
  BeastRequest req = make_post("/api", Bytes(10, 1));
  req.chunked(true);
  std::ostringstream os;
  os << req;
  std::string s = os.str();
  Bytes wire(s.begin(), s.end());
  HttpServerCodec codec;
  Collector sink;
  EXPECT_EQ(codec.feed(wire, sink).error, CodecError::kHttpLengthRequired);
  Bytes out;
  codec.take_output(out);
  auto responses = beast_parse(out);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].result_int(), 411u);
  EXPECT_FALSE(responses[0].keep_alive());
}

TEST(HttpBeast, BeastParsesErrorAndTransportErrorReplies) {
  for (int status : {404, 411, 413, 414, 429, 431, 444, 501}) {
    Bytes out;
    encode_error(status, true, out);
    auto responses = beast_parse(out);
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].result_int(), unsigned(status));
    EXPECT_FALSE(responses[0].keep_alive());
    EXPECT_EQ(responses[0][bhttp::field::access_control_allow_origin], "*");
    EXPECT_TRUE(responses[0].body().empty());
  }
}

}  // namespace
}  // namespace mtedge::codecs::http
