#include "gateway/admin/http_codec.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/support/admin_fake_views.h"

namespace mtedge::gateway::admin {
namespace {

const uint8_t kLoopback[4] = {127, 0, 0, 1};

std::string answer(std::string_view bytes) {
  test::FakeViews views;
  const AccessPolicy policy{{parse_cidr("127.0.0.0/8").value()}, "", false};
  return answer_bytes(bytes, AF_INET, kLoopback, policy, views);
}

TEST(AdminRequestLogLine, CutsLongTargets) {
  Request request;
  request.method = "DELETE";
  request.target = "/v1/connections?ip=203.0.113.7";
  EXPECT_EQ(request_log_line(request, "127.0.0.1", 200),
            "DELETE /v1/connections?ip=203.0.113.7 from 127.0.0.1: 200");
  request.target = "/v1/connections?x=" + std::string(8000, 'a');
  const std::string line = request_log_line(request, "127.0.0.1", 400);
  EXPECT_EQ(line,
            "DELETE " + request.target.substr(0, kLoggedTargetBytes) + "... from 127.0.0.1: 400");
}

TEST(AdminHttpCodec, AnswersAWholeRequest) {
  const std::string a = answer("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(a.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << a;
  EXPECT_NE(a.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(a.find("Content-Length: 14\r\n"), std::string::npos);
  EXPECT_NE(a.find("\r\n\r\nmtedge_test 1\n"), std::string::npos);
}

TEST(AdminHttpCodec, HeadGetsHeadersOnly) {
  const std::string a = answer("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(a.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(a.find("Content-Length: 14\r\n"), std::string::npos);
  EXPECT_EQ(a.substr(a.size() - 4), "\r\n\r\n");
}

TEST(AdminHttpCodec, OversizedHeadAndBodyAre413) {
  const std::string big_head =
      "GET /metrics HTTP/1.1\r\nX: " + std::string(kMaxHeadBytes, 'a') + "\r\n\r\n";
  EXPECT_EQ(answer(big_head).rfind("HTTP/1.1 413", 0), 0u);
  const std::string big_body =
      "POST /v1/drain HTTP/1.1\r\nContent-Length: " + std::to_string(kMaxBodyBytes + 1) +
      "\r\n\r\n" + std::string(kMaxBodyBytes + 1, 'b');
  const std::string a = answer(big_body);
  EXPECT_EQ(a.rfind("HTTP/1.1 413", 0), 0u) << a.substr(0, 200);
  EXPECT_NE(a.find("\"error\":\"too_large\""), std::string::npos);
  const std::string ok_body = "POST /v1/drain HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}";
  EXPECT_EQ(answer(ok_body).rfind("HTTP/1.1 202", 0), 0u);
}

TEST(AdminHttpCodec, GarbageAndTruncatedRequestsAre400) {
  for (const char* bytes :
       {"garbage", "GET /metrics HTTP/1.1\r\nHost", "\r\n\r\n",
        "GET /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", "GET\x01 / HTTP/1.1\r\n\r\n"}) {
    const std::string a = answer(bytes);
    EXPECT_EQ(a.rfind("HTTP/1.1 400", 0), 0u) << bytes << "\n" << a;
  }
}

// Every prefix of a request either gets 400 (it ended early) or the full answer.
TEST(AdminHttpCodec, EveryPrefixIsAnsweredWellFormed) {
  const std::string full = "DELETE /v1/connections?ip=10.1.2.3 HTTP/1.1\r\nHost: x\r\n\r\n";
  for (size_t n = 0; n <= full.size(); ++n) {
    const std::string a = answer(std::string_view(full).substr(0, n));
    const bool complete = n == full.size();
    EXPECT_EQ(a.rfind(complete ? "HTTP/1.1 200" : "HTTP/1.1 400", 0), 0u) << n << "\n" << a;
  }
}

}  // namespace
}  // namespace mtedge::gateway::admin
