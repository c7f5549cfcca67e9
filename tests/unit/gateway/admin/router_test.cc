#include "gateway/admin/router.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/admin_fake_views.h"

namespace mtedge::gateway::admin {
namespace {

AccessPolicy loopback_policy(std::string token = "", bool protect_metrics = false) {
  return {{parse_cidr("127.0.0.0/8").value(), parse_cidr("::1/128").value()},
          std::move(token),
          protect_metrics};
}

Request request(std::string method, std::string target, std::string peer = "127.0.0.1",
                std::string authorization = "") {
  Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.authorization = std::move(authorization);
  if (inet_pton(AF_INET, peer.c_str(), r.peer_bytes.data()) == 1) {
    r.peer_family = AF_INET;
  } else if (inet_pton(AF_INET6, peer.c_str(), r.peer_bytes.data()) == 1) {
    r.peer_family = AF_INET6;
  }
  return r;
}

nlohmann::json body_of(const Response& r) {
  return nlohmann::json::parse(r.body);
}

// `r` is the JSON error `code` with `status`, and has a detail.
void expect_json_error(const Response& r, unsigned status, const std::string& code) {
  EXPECT_EQ(r.status, status);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(body_of(r)["error"], code);
  EXPECT_TRUE(body_of(r)["detail"].is_string());
}

TEST(AdminRouter, ServesMetricsHealthAndReadiness) {
  test::FakeViews views;
  const AccessPolicy policy = loopback_policy();
  Response r = route(request("GET", "/metrics"), policy, views);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.body, "mtedge_test 1\n");
  EXPECT_EQ(route(request("GET", "/health"), policy, views).status, 200u);
  EXPECT_EQ(route(request("GET", "/ready?x=1"), policy, views).status, 200u);
  r = route(request("HEAD", "/health"), policy, views);
  EXPECT_EQ(r.status, 200u);
  EXPECT_TRUE(r.head);
  views.backend_up = false;
  r = route(request("GET", "/health"), policy, views);
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(body_of(r)["status"], "backend_down");
  EXPECT_EQ(route(request("GET", "/ready"), policy, views).status, 200u);
  views.backend_up = true;
  views.draining = true;
  r = route(request("GET", "/health"), policy, views);
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(body_of(r)["status"], "draining");
  EXPECT_EQ(body_of(route(request("GET", "/ready"), policy, views))["status"], "not_ready");
}

TEST(AdminRouter, ErrorsAreJsonWithTheRightStatus) {
  test::FakeViews views;
  const AccessPolicy policy = loopback_policy();
  expect_json_error(route(request("GET", "/nope"), policy, views), 404, "not_found");
  Response r = route(request("POST", "/metrics"), policy, views);
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.allow, "GET, HEAD");
  r = route(request("PUT", "/v1/connections"), policy, views);
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.allow, "GET, HEAD, DELETE");
  EXPECT_EQ(route(request("GET", "/v1/drain"), policy, views).status, 405u);
  EXPECT_FALSE(views.draining);
  r = route(request("GET", "/v1/connections?color=red"), policy, views);
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(body_of(r)["detail"].get<std::string>().find("color"), std::string::npos);
}

TEST(AdminRouter, ListsAndFiltersConnections) {
  test::FakeViews views;
  const AccessPolicy policy = loopback_policy();
  nlohmann::json all = body_of(route(request("GET", "/v1/connections"), policy, views));
  ASSERT_EQ(all["connections"].size(), 3u);
  EXPECT_EQ(all["connections"][0]["transport"], "abridged");
  EXPECT_TRUE(all["connections"][0]["secret"].is_null());
  EXPECT_EQ(all["connections"][1]["secret"], "friends");
  EXPECT_EQ(all["connections"][2]["bytes_out"], 60);
  EXPECT_FALSE(all["truncated"]);

  auto matched = [&](const std::string& query) {
    return body_of(route(request("GET", "/v1/connections?" + query), policy, views))["matched"]
        .get<int>();
  };
  EXPECT_EQ(matched("ip=10.1.2.3"), 1);
  EXPECT_EQ(matched("ip=10.0.0.0%2F8"), 1);
  EXPECT_EQ(matched("ip=2001:db8::/32"), 1);
  EXPECT_EQ(matched("transport=intermediate"), 2);
  EXPECT_EQ(matched("transport=obfuscated/intermediate"), 1);
  EXPECT_EQ(matched("listener=main&secret=friends"), 1);
  EXPECT_EQ(matched("listener=main&secret=site"), 0);
  nlohmann::json limited = body_of(route(request("GET", "/v1/connections?limit=1"), policy, views));
  EXPECT_EQ(limited["connections"].size(), 1u);
  EXPECT_EQ(limited["matched"], 3);
  EXPECT_TRUE(limited["truncated"]);
}

TEST(AdminRouter, ClosingNeedsAFilter) {
  test::FakeViews views;
  const AccessPolicy policy = loopback_policy();
  expect_json_error(route(request("DELETE", "/v1/connections"), policy, views), 400,
                    "filter_required");
  EXPECT_EQ(route(request("DELETE", "/v1/connections?limit=5"), policy, views).status, 400u);
  EXPECT_EQ(views.closes, 0);
  Response r = route(request("DELETE", "/v1/connections?transport=intermediate"), policy, views);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(body_of(r)["closed"], 2);
}

TEST(AdminRouter, DrainAndInfo) {
  test::FakeViews views;
  const AccessPolicy policy = loopback_policy();
  EXPECT_EQ(body_of(route(request("GET", "/v1/info"), policy, views))["workers"], 2);
  Response r = route(request("POST", "/v1/drain"), policy, views);
  EXPECT_EQ(r.status, 202u);
  EXPECT_TRUE(views.draining);
}

TEST(AdminRouter, TokenGuardsV1Only) {
  test::FakeViews views;
  const AccessPolicy policy = loopback_policy("s3cret");
  Response r = route(request("GET", "/v1/info"), policy, views);
  EXPECT_EQ(r.status, 401u);
  EXPECT_TRUE(r.www_authenticate);
  EXPECT_EQ(route(request("GET", "/v1/info", "127.0.0.1", "Bearer wrong"), policy, views).status,
            401u);
  EXPECT_EQ(route(request("GET", "/v1/info", "127.0.0.1", "Basic s3cret"), policy, views).status,
            401u);
  EXPECT_EQ(route(request("GET", "/v1/info", "127.0.0.1", "Bearer s3cret"), policy, views).status,
            200u);
  EXPECT_EQ(route(request("GET", "/v1/info", "127.0.0.1", "bearer s3cret"), policy, views).status,
            200u);
  // A wrong method on a guarded path is 401 before 405: nothing about it leaks.
  EXPECT_EQ(route(request("PUT", "/v1/drain"), policy, views).status, 401u);
  EXPECT_EQ(route(request("POST", "/v1/drain"), policy, views).status, 401u);
  EXPECT_FALSE(views.draining);
  EXPECT_EQ(route(request("GET", "/metrics"), policy, views).status, 200u);
  EXPECT_EQ(route(request("GET", "/health"), policy, views).status, 200u);

  const AccessPolicy strict = loopback_policy("s3cret", true);
  EXPECT_EQ(route(request("GET", "/metrics"), strict, views).status, 401u);
  EXPECT_EQ(route(request("GET", "/ready"), strict, views).status, 401u);
  EXPECT_EQ(route(request("GET", "/metrics", "127.0.0.1", "Bearer s3cret"), strict, views).status,
            200u);
}

TEST(AdminRouter, AddressesOutsideTheAllowListAreForbidden) {
  test::FakeViews views;
  const AccessPolicy policy = loopback_policy("s3cret");
  for (const char* path : {"/metrics", "/health", "/v1/info", "/nope"}) {
    SCOPED_TRACE(path);
    expect_json_error(route(request("GET", path, "192.0.2.1", "Bearer s3cret"), policy, views), 403,
                      "forbidden");
  }
  EXPECT_EQ(route(request("GET", "/health", "::1"), policy, views).status, 200u);
  EXPECT_EQ(route(request("GET", "/health", "::ffff:127.0.0.1"), policy, views).status, 200u);
  EXPECT_EQ(route(request("GET", "/health", "2001:db8::1"), policy, views).status, 403u);
  Request unknown = request("GET", "/health");
  unknown.peer_family = 0;
  EXPECT_EQ(route(unknown, policy, views).status, 403u);
}

}  // namespace
}  // namespace mtedge::gateway::admin
