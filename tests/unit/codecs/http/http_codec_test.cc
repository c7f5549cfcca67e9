// HTTP transport codec: request parsing in any split, pipelining and ordering, every limit
// and its status, CORS, OPTIONS, the empty probe POST, smuggling, upgrades, responses.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "codecs/http/http_client_codec.h"
#include "codecs/http/http_response.h"
#include "codecs/http/http_server_codec.h"
#include "tests/support/split_feed.h"
#include "tests/support/vectors.h"

namespace mtedge::codecs::http {
namespace {

using namespace mtedge::test;

Bytes to_bytes(std::string_view s) {
  return Bytes(s.begin(), s.end());
}
std::string to_string(ByteView b) {
  return std::string(b.begin(), b.end());
}

struct Seen {
  uint64_t id;
  std::string path;
  bool web;
  bool keep_alive;
  Bytes body;
};

struct Collector : RequestSink {
  std::vector<Seen> requests;
  std::vector<UpgradeRequest> upgrades;
  std::string upgrade_key, upgrade_protocols, upgrade_path;
  bool on_request(const Request& r) override {
    requests.push_back({r.id, std::string(r.path), r.is_web_path, r.keep_alive,
                        Bytes(r.body.begin(), r.body.end())});
    return true;
  }
  bool on_upgrade(const UpgradeRequest& u) override {
    upgrades.push_back(u);
    upgrade_key = u.key;
    upgrade_protocols = u.protocols;
    upgrade_path = u.path;
    return true;
  }
};

// Feeds `input` in the given split; stops at an upgrade and returns the stream offset
// where HTTP ended (input.size() otherwise).
struct FeedOutcome {
  size_t consumed = 0;
  CodecError error = CodecError::kNone;
};

FeedOutcome feed_split(HttpServerCodec& codec, Bytes input, Split split, RequestSink& sink,
                       uint32_t seed = 12345) {
  FeedOutcome outcome;
  size_t pos = 0;
  feed_pieces(input, split_sizes(input.size(), split, seed, 37), [&](MutableByteView piece) {
    FeedResult r = codec.feed(piece, sink);
    outcome.error = r.error;
    if (codec.upgraded()) {
      outcome.consumed = pos + r.consumed;
      return false;
    }
    pos += piece.size();
    outcome.consumed = pos;
    return r.error == CodecError::kNone;
  });
  return outcome;
}

// Feeds `text` whole; it must parse into exactly one request.
void feed_one_request(HttpServerCodec& codec, Collector& sink, std::string_view text) {
  Bytes input = to_bytes(text);
  ASSERT_EQ(codec.feed(input, sink).error, CodecError::kNone);
  ASSERT_EQ(sink.requests.size(), 1u);
}

std::string take_all(HttpServerCodec& codec) {
  Bytes out;
  codec.take_output(out);
  return to_string(out);
}

struct Responses : ResponseSink {
  std::vector<int> statuses;
  std::vector<Bytes> bodies;
  std::vector<bool> keep_alive;
  bool on_response(const Response& r) override {
    statuses.push_back(r.status);
    bodies.emplace_back(r.body.begin(), r.body.end());
    keep_alive.push_back(r.keep_alive);
    return true;
  }
};

Responses parse_responses(const std::string& wire) {
  Responses sink;
  HttpResponseParser parser;
  Bytes bytes = to_bytes(wire);
  EXPECT_EQ(parser.feed(bytes, sink), CodecError::kNone);
  return sink;
}

class SplitTest : public ::testing::TestWithParam<Split> {};
INSTANTIATE_TEST_SUITE_P(AllSplits, SplitTest, ::testing::ValuesIn(kAllSplits));

// ---- responses --------------------------------------------------------------------------

TEST(HttpResponse, ExactHeadersMatchVector) {
  Bytes req_pq(read_vector("http_response_200.bin"));
  Bytes body(req_pq.end() - 40, req_pq.end());
  Bytes out;
  encode_response(200, body, true, false, out);
  EXPECT_EQ(out, read_vector("http_response_200.bin"));
  out.clear();
  encode_response(200, body, true, true, out);
  EXPECT_EQ(out, read_vector("http_response_200_cors.bin"));
}

TEST(HttpResponse, ContentLengthIsTheLastHeader) {
  Bytes out;
  encode_response(200, as_bytes("abcd"), true, true, out);
  std::string s = to_string(out);
  EXPECT_NE(s.find("\r\nContent-Length: 4\r\n\r\nabcd"), std::string::npos) << s;
  out.clear();
  encode_error(404, true, out);
  s = to_string(out);
  EXPECT_TRUE(s.ends_with("Content-Length: 0\r\n\r\n")) << s;
}

TEST(HttpResponse, ErrorReplyClosesAndCarriesCorsOnWebPaths) {
  Bytes out;
  encode_error(413, true, out);
  std::string s = to_string(out);
  EXPECT_TRUE(s.starts_with("HTTP/1.1 413 Payload Too Large\r\n"));
  EXPECT_NE(s.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(s.find("Access-Control-Allow-Origin: *\r\n"), std::string::npos);
  out.clear();
  encode_error(413, false, out);
  EXPECT_EQ(to_string(out).find("Access-Control"), std::string::npos);
}

TEST(HttpResponse, TransportErrorStatusMapping) {
  EXPECT_EQ(http_status_for_transport_error(-404), 404);
  EXPECT_EQ(http_status_for_transport_error(-429), 429);
  EXPECT_EQ(http_status_for_transport_error(-444), 444);
  EXPECT_EQ(http_status_for_transport_error(-403), 403);
  EXPECT_EQ(http_status_for_transport_error(0), 500);
  EXPECT_EQ(http_status_for_transport_error(-1), 500);
  EXPECT_EQ(http_status_for_transport_error(404), 500);
  EXPECT_EQ(http_status_for_transport_error(INT32_MIN), 500);
  EXPECT_EQ(http_status_for_error(CodecError::kHttpUriTooLong), 414);
  EXPECT_EQ(http_status_for_error(CodecError::kBufferLimit), 429);
}

// ---- requests ---------------------------------------------------------------------------

TEST_P(SplitTest, TelethonRequest) {
  HttpServerCodec codec;
  Collector sink;
  Bytes input = read_vector("http_telethon_request.bin");
  FeedOutcome r = feed_split(codec, input, GetParam(), sink);
  ASSERT_EQ(r.error, CodecError::kNone);
  ASSERT_EQ(sink.requests.size(), 1u);
  EXPECT_EQ(sink.requests[0].path, "/api");
  EXPECT_FALSE(sink.requests[0].web);
  EXPECT_TRUE(sink.requests[0].keep_alive);
  EXPECT_EQ(sink.requests[0].body, Bytes(input.end() - 40, input.end()));
  EXPECT_TRUE(codec.wants_read());
  EXPECT_FALSE(codec.has_output());
}

TEST_P(SplitTest, TdlibRequestsBackToBack) {
  HttpServerCodec codec;
  Collector sink;
  Bytes one = read_vector("http_tdlib_request.bin");
  Bytes input;
  for (int i = 0; i < 5; ++i) input.insert(input.end(), one.begin(), one.end());
  ASSERT_EQ(feed_split(codec, input, GetParam(), sink).error, CodecError::kNone);
  ASSERT_EQ(sink.requests.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(sink.requests[i].id, i);
    EXPECT_EQ(sink.requests[i].body.size(), 40u);
  }
}

TEST_P(SplitTest, WebPipelineOptionsProbeAndPost) {
  HttpServerCodec codec;
  Collector sink;
  ASSERT_EQ(feed_split(codec, read_vector("http_web_pipelined.bin"), GetParam(), sink).error,
            CodecError::kNone);
  // OPTIONS (id 0) is answered by the codec; the probe (id 1) and the POST (id 2) go out.
  ASSERT_EQ(sink.requests.size(), 2u);
  EXPECT_EQ(sink.requests[0].id, 1u);
  EXPECT_TRUE(sink.requests[0].body.empty());
  EXPECT_TRUE(sink.requests[0].web);
  EXPECT_EQ(sink.requests[0].path, "/apiw1");
  EXPECT_EQ(sink.requests[1].id, 2u);
  EXPECT_EQ(sink.requests[1].body.size(), 40u);
  // Only the OPTIONS answer is ready so far.
  std::string first = take_all(codec);
  EXPECT_TRUE(first.starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_NE(first.find("Content-Type: text/plain"), std::string::npos);
  EXPECT_NE(first.find("Access-Control-Allow-Methods: POST, OPTIONS"), std::string::npos);
  // Answer out of order: the POST first, then the probe.
  ASSERT_TRUE(codec.respond(2, as_bytes("answer")));
  EXPECT_FALSE(codec.has_output());
  ASSERT_TRUE(codec.respond(1, {}));
  Responses rs = parse_responses(take_all(codec));
  ASSERT_EQ(rs.statuses.size(), 2u);
  EXPECT_EQ(rs.statuses[0], 200);
  EXPECT_TRUE(rs.bodies[0].empty());
  EXPECT_EQ(rs.bodies[1], to_bytes("answer"));
  EXPECT_FALSE(codec.should_close());
}

TEST(HttpServerCodec, ResponsesLeaveInRequestOrder) {
  HttpServerCodec codec;
  Collector sink;
  Bytes input;
  for (int i = 0; i < 4; ++i) {
    std::string body = "body" + std::to_string(i);
    encode_request("/api", "", as_bytes(body), true, input);
  }
  ASSERT_EQ(codec.feed(input, sink).error, CodecError::kNone);
  ASSERT_EQ(codec.pending(), 4u);
  for (uint64_t id : {3u, 1u, 2u, 0u}) {
    ASSERT_TRUE(codec.respond(id, as_bytes("r" + std::to_string(id))));
  }
  EXPECT_FALSE(codec.respond(0, {}));   // already answered
  EXPECT_FALSE(codec.respond(99, {}));  // unknown
  Responses rs = parse_responses(take_all(codec));
  ASSERT_EQ(rs.bodies.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(rs.bodies[i], to_bytes("r" + std::to_string(i)));
  EXPECT_EQ(codec.pending(), 0u);
}

TEST(HttpServerCodec, EmptyProbePostIsARequest) {
  HttpServerCodec codec;
  Collector sink;
  ASSERT_NO_FATAL_FAILURE(feed_one_request(
      codec, sink, "POST /apiw1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(sink.requests[0].body.empty());
  ASSERT_TRUE(codec.respond(0, {}));
  std::string out = take_all(codec);
  EXPECT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(out.ends_with("Content-Length: 0\r\n\r\n"));
  EXPECT_NE(out.find("Access-Control-Allow-Origin: *"), std::string::npos);
}

TEST(HttpServerCodec, OptionsOnNativePathHasNoCors) {
  HttpServerCodec codec;
  Collector sink;
  Bytes input = to_bytes("OPTIONS /api HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(codec.feed(input, sink).error, CodecError::kNone);
  std::string out = take_all(codec);
  EXPECT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(out.find("Access-Control"), std::string::npos);
}

TEST(HttpServerCodec, QueryStringIsStripped) {
  HttpServerCodec codec;
  Collector sink;
  ASSERT_NO_FATAL_FAILURE(
      feed_one_request(codec, sink, "POST /apiw1?x=1 HTTP/1.1\r\nContent-Length: 2\r\n\r\nab"));
  EXPECT_EQ(sink.requests[0].path, "/apiw1");
  EXPECT_TRUE(sink.requests[0].web);
}

TEST(HttpServerCodec, ConnectionCloseRequest) {
  HttpServerCodec codec;
  Collector sink;
  Bytes input;
  encode_request("/api", "h", as_bytes("abcd"), false, input);
  encode_request("/api", "h", as_bytes("ignored"), true, input);  // after close: ignored
  ASSERT_EQ(codec.feed(input, sink).error, CodecError::kNone);
  ASSERT_EQ(sink.requests.size(), 1u);
  EXPECT_FALSE(sink.requests[0].keep_alive);
  EXPECT_FALSE(codec.wants_read());
  ASSERT_TRUE(codec.respond(0, as_bytes("x")));
  std::string out = take_all(codec);
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(codec.should_close());
}

TEST(HttpServerCodec, Http10WithoutKeepAliveCloses) {
  HttpServerCodec codec;
  Collector sink;
  ASSERT_NO_FATAL_FAILURE(
      feed_one_request(codec, sink, "POST /api HTTP/1.0\r\nContent-Length: 1\r\n\r\nz"));
  EXPECT_FALSE(sink.requests[0].keep_alive);
}

TEST(HttpServerCodec, TransportErrorAnswer) {
  HttpServerCodec codec;
  Collector sink;
  Bytes input;
  encode_request("/apiw1", "", as_bytes("abcd"), true, input);
  encode_request("/apiw1", "", as_bytes("efgh"), true, input);
  ASSERT_EQ(codec.feed(input, sink).error, CodecError::kNone);
  ASSERT_TRUE(codec.respond_transport_error(0, -404));
  ASSERT_TRUE(codec.respond(1, as_bytes("never sent")));
  std::string out = take_all(codec);
  EXPECT_TRUE(out.starts_with("HTTP/1.1 404 Not Found\r\n"));
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(out.find("Access-Control-Allow-Origin: *"), std::string::npos);
  EXPECT_EQ(out.find("never sent"), std::string::npos);
  EXPECT_TRUE(codec.should_close());
}

TEST(HttpServerCodec, PipelineCapPausesAndResumes) {
  ServerLimits limits;
  limits.max_pipelined = 2;
  HttpServerCodec codec(limits);
  Collector sink;
  Bytes input;
  for (int i = 0; i < 5; ++i) encode_request("/api", "", as_bytes("body"), true, input);
  ASSERT_EQ(codec.feed(input, sink).error, CodecError::kNone);
  EXPECT_EQ(sink.requests.size(), 2u);
  EXPECT_FALSE(codec.wants_read());
  EXPECT_FALSE(codec.needs_resume());
  ASSERT_TRUE(codec.respond(0, as_bytes("a")));
  take_all(codec);
  ASSERT_TRUE(codec.needs_resume());
  ASSERT_EQ(codec.resume(sink).error, CodecError::kNone);
  EXPECT_EQ(sink.requests.size(), 3u);
  for (uint64_t id = 1; id < 5; ++id) {
    ASSERT_TRUE(codec.respond(id, as_bytes("a")));
    take_all(codec);
    if (codec.needs_resume()) {
      ASSERT_EQ(codec.resume(sink).error, CodecError::kNone);
    }
  }
  EXPECT_EQ(sink.requests.size(), 5u);
  EXPECT_TRUE(codec.wants_read());
}

// ---- errors -----------------------------------------------------------------------------

struct ErrorCase {
  const char* name;
  std::string input;
  CodecError error;
  int status;
  bool cors;
};

std::vector<ErrorCase> error_cases() {
  std::string big_header =
      "POST /api HTTP/1.1\r\nX-Pad: " + std::string(9000, 'a') + "\r\nContent-Length: 1\r\n\r\nz";
  std::string many_headers = "POST /apiw1 HTTP/1.1\r\n";
  for (int i = 0; i < 1000; ++i) many_headers += "X-H" + std::to_string(i) + ": v\r\n";
  many_headers += "Content-Length: 1\r\n\r\nz";
  return {
      {"HeaderTooLarge", big_header, CodecError::kHttpHeadersTooLarge, 431, false},
      {"ManyHeadersWeb", many_headers, CodecError::kHttpHeadersTooLarge, 431, true},
      {"UriTooLong", "POST /apiw1?" + std::string(600, 'q') + " HTTP/1.1\r\n\r\n",
       CodecError::kHttpUriTooLong, 414, true},
      {"BodyTooLarge", "POST /apiw1 HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
       CodecError::kHttpPayloadTooLarge, 413, true},
      {"BodyTooLargeNative", "POST /api HTTP/1.1\r\nContent-Length: 4198401\r\n\r\n",
       CodecError::kHttpPayloadTooLarge, 413, false},
      {"NoContentLength", "POST /api HTTP/1.1\r\nHost: x\r\n\r\n", CodecError::kHttpLengthRequired,
       411, false},
      {"ChunkedOnly",
       "POST /apiw1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n",
       CodecError::kHttpLengthRequired, 411, true},
      {"SmugglingTeCl",
       "POST /api HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       CodecError::kHttpBadRequest, 400, false},
      {"SmugglingClTe",
       "POST /apiw1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
       CodecError::kHttpBadRequest, 400, true},
      {"DuplicateContentLength",
       "POST /api HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
       CodecError::kHttpBadRequest, 400, false},
      {"UnknownPath", "POST /foo HTTP/1.1\r\nContent-Length: 1\r\n\r\nz", CodecError::kHttpNotFound,
       404, false},
      {"UnknownWebPath", "POST /apiw2 HTTP/1.1\r\nContent-Length: 1\r\n\r\nz",
       CodecError::kHttpNotFound, 404, true},
      {"PostOnWsPath", "POST /apiws HTTP/1.1\r\nContent-Length: 1\r\n\r\nz",
       CodecError::kHttpNotFound, 404, false},
      {"GetApi", "GET /api HTTP/1.1\r\n\r\n", CodecError::kHttpNotImplemented, 501, false},
      {"HeadApi", "HEAD /api HTTP/1.1\r\n\r\n", CodecError::kHttpNotImplemented, 501, false},
      {"PutWeb", "PUT /apiw1 HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
       CodecError::kHttpNotImplemented, 501, true},
      {"InvalidMethod", "FOO /api HTTP/1.1\r\n\r\n", CodecError::kHttpNotImplemented, 501, false},
      {"GetWsWithoutUpgrade", "GET /apiws HTTP/1.1\r\nHost: x\r\n\r\n", CodecError::kHttpBadRequest,
       400, false},
      {"GetWsWithoutKey",
       "GET /apiws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
       CodecError::kHttpBadRequest, 400, false},
      {"Garbage", "POST /api HTTP/1.1\r\nBad Header\r\n\r\n", CodecError::kHttpBadRequest, 400,
       false},
      {"BadVersion", "POST /api HTTP/9.9\r\n\r\n", CodecError::kHttpBadRequest, 400, false},
  };
}

TEST_P(SplitTest, EveryErrorHasItsStatus) {
  for (const ErrorCase& c : error_cases()) {
    SCOPED_TRACE(c.name);
    HttpServerCodec codec;
    Collector sink;
    FeedOutcome r = feed_split(codec, to_bytes(c.input), GetParam(), sink);
    EXPECT_EQ(r.error, c.error) << error_name(r.error);
    EXPECT_EQ(codec.error(), c.error);
    EXPECT_TRUE(sink.requests.empty());
    std::string out = take_all(codec);
    std::string status_line = "HTTP/1.1 " + std::to_string(c.status) + " ";
    EXPECT_TRUE(out.starts_with(status_line)) << out;
    EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
    EXPECT_EQ(out.find("Access-Control-Allow-Origin: *") != std::string::npos, c.cors) << out;
    EXPECT_TRUE(codec.should_close());
    // Sticky.
    Bytes more = to_bytes("POST /api HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(codec.feed(more, sink).error, c.error);
    EXPECT_TRUE(sink.requests.empty());
  }
}

TEST(HttpServerCodec, ErrorReplyWaitsForEarlierAnswers) {
  HttpServerCodec codec;
  Collector sink;
  Bytes input;
  encode_request("/api", "", as_bytes("abcd"), true, input);
  Bytes bad = to_bytes("POST /nope HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  input.insert(input.end(), bad.begin(), bad.end());
  EXPECT_EQ(codec.feed(input, sink).error, CodecError::kHttpNotFound);
  ASSERT_EQ(sink.requests.size(), 1u);
  EXPECT_FALSE(codec.has_output());
  EXPECT_FALSE(codec.should_close());
  ASSERT_TRUE(codec.respond(0, as_bytes("ok")));
  std::string out = take_all(codec);
  EXPECT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_NE(out.find("HTTP/1.1 404 Not Found\r\n"), std::string::npos);
  EXPECT_TRUE(codec.should_close());
}

TEST(HttpServerCodec, HeaderCapIsExact) {
  // A request whose header block is exactly the cap passes; one byte more is refused.
  std::string head = "POST /api HTTP/1.1\r\nContent-Length: 1\r\nX: ";
  const size_t cap = 200;
  std::string pad(cap - head.size() - 4, 'a');
  std::string exact = head + pad + "\r\n\r\n";
  ASSERT_EQ(exact.size(), cap);
  for (size_t extra : {0u, 1u}) {
    ServerLimits limits;
    limits.max_header_bytes = cap;
    HttpServerCodec codec(limits);
    Collector sink;
    Bytes input = to_bytes(head + pad + std::string(extra, 'a') + "\r\n\r\nz");
    CodecError e = codec.feed(input, sink).error;
    if (extra == 0) {
      EXPECT_EQ(e, CodecError::kNone);
      EXPECT_EQ(sink.requests.size(), 1u);
    } else {
      EXPECT_EQ(e, CodecError::kHttpHeadersTooLarge);
    }
  }
}

TEST(HttpServerCodec, BodyAtTheCapIsAccepted) {
  ServerLimits limits;
  limits.max_body_bytes = 1000;
  for (size_t size : {1000u, 1001u}) {
    HttpServerCodec codec(limits);
    Collector sink;
    Bytes input;
    Bytes body(size, 0x5a);
    encode_request("/api", "", body, true, input);
    CodecError e = feed_split(codec, input, Split::kRandom, sink).error;
    EXPECT_EQ(e, size == 1000 ? CodecError::kNone : CodecError::kHttpPayloadTooLarge);
    EXPECT_EQ(sink.requests.size(), size == 1000 ? 1u : 0u);
  }
}

TEST(HttpServerCodec, StashIsCapped) {
  ServerLimits limits;
  limits.max_pipelined = 1;
  limits.max_header_bytes = 100;
  limits.max_body_bytes = 100;
  HttpServerCodec codec(limits);
  Collector sink;
  Bytes input;
  encode_request("/api", "", as_bytes("a"), true, input);
  ASSERT_EQ(codec.feed(input, sink).error, CodecError::kNone);
  EXPECT_FALSE(codec.wants_read());
  Bytes flood(150, 'x');
  EXPECT_EQ(codec.feed(flood, sink).error, CodecError::kNone);
  EXPECT_EQ(codec.feed(flood, sink).error, CodecError::kBufferLimit);
}

// ---- WebSocket upgrade ------------------------------------------------------------------

TEST_P(SplitTest, WebSocketUpgradeHandsOverTheRest) {
  HttpServerCodec codec;
  Collector sink;
  Bytes input = read_vector("http_ws_upgrade.bin");
  std::string text = to_string(input);
  size_t end_of_request = text.find("\r\n\r\n") + 4;
  FeedOutcome r = feed_split(codec, input, GetParam(), sink);
  ASSERT_EQ(r.error, CodecError::kNone);
  ASSERT_TRUE(codec.upgraded());
  EXPECT_EQ(r.consumed, end_of_request);
  ASSERT_EQ(sink.upgrades.size(), 1u);
  EXPECT_EQ(sink.upgrade_path, "/apiws");
  EXPECT_EQ(sink.upgrade_key, "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(sink.upgrade_protocols, "binary");
  EXPECT_TRUE(sink.requests.empty());
  // The 101 goes out through the ordered queue.
  ASSERT_TRUE(codec.respond_raw(sink.upgrades[0].id, to_bytes("HTTP/1.1 101 x\r\n\r\n"), false));
  EXPECT_EQ(take_all(codec), "HTTP/1.1 101 x\r\n\r\n");
  EXPECT_FALSE(codec.should_close());
  // Later feeds are not HTTP.
  Bytes more(10, 0x82);
  EXPECT_EQ(codec.feed(more, sink).consumed, 0u);
}

TEST(HttpServerCodec, UpgradeProtocolsJoined) {
  HttpServerCodec codec;
  Collector sink;
  Bytes input = to_bytes(
      "GET /apiws_premium HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: chat\r\n"
      "sec-websocket-protocol: binary\r\nSec-WebSocket-Version: 13\r\n\r\n");
  ASSERT_EQ(codec.feed(input, sink).error, CodecError::kNone);
  ASSERT_EQ(sink.upgrades.size(), 1u);
  EXPECT_EQ(sink.upgrade_path, "/apiws_premium");
  EXPECT_EQ(sink.upgrade_protocols, "chat, binary");
}

// ---- client side ------------------------------------------------------------------------

TEST_P(SplitTest, ClientServerRoundTrip) {
  std::mt19937 rng(7);
  HttpServerCodec codec;
  Collector sink;
  std::vector<Bytes> bodies;
  Bytes wire;
  for (size_t size : {0u, 1u, 40u, 1000u, 70000u}) {
    Bytes body(size);
    for (auto& b : body) b = uint8_t(rng());
    bodies.push_back(body);
    encode_request("/api", "127.0.0.1:80", body, true, wire);
  }
  ASSERT_EQ(feed_split(codec, wire, GetParam(), sink).error, CodecError::kNone);
  ASSERT_EQ(sink.requests.size(), bodies.size());
  for (size_t i = 0; i < bodies.size(); ++i) {
    EXPECT_EQ(sink.requests[i].body, bodies[i]);
    ASSERT_TRUE(codec.respond(sink.requests[i].id, sink.requests[i].body));
  }
  Bytes out;
  codec.take_output(out);
  // Parse the responses in the same split.
  Responses rs;
  HttpResponseParser parser;
  CodecError parsed = CodecError::kNone;
  feed_pieces(out, split_sizes(out.size(), GetParam(), 99, 101), [&](MutableByteView piece) {
    parsed = parser.feed(piece, rs);
    return parsed == CodecError::kNone;
  });
  ASSERT_EQ(parsed, CodecError::kNone);
  ASSERT_EQ(rs.bodies.size(), bodies.size());
  for (size_t i = 0; i < bodies.size(); ++i) {
    EXPECT_EQ(rs.statuses[i], 200);
    EXPECT_EQ(rs.bodies[i], bodies[i]);
  }
}

TEST(HttpResponseParser, RefusesChunkedAndOversize) {
  Responses rs;
  {
    HttpResponseParser parser;
    Bytes in = to_bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    EXPECT_EQ(parser.feed(in, rs), CodecError::kBadServerPacket);
  }
  {
    ClientLimits limits;
    limits.max_body_bytes = 10;
    HttpResponseParser parser(limits);
    Bytes in = to_bytes("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n");
    EXPECT_EQ(parser.feed(in, rs), CodecError::kBadServerPacket);
  }
  {
    HttpResponseParser parser;
    Bytes in = to_bytes("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(parser.feed(in, rs), CodecError::kNone);
    ASSERT_EQ(rs.statuses.size(), 1u);
    EXPECT_EQ(rs.statuses[0], 404);
  }
}

}  // namespace
}  // namespace mtedge::codecs::http
