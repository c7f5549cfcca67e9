// One management API request and its answer, as the router sees them: no sockets and no
// HTTP library (gateway/admin/http_codec.h converts from and to Beast's messages).
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace mtedge::gateway::admin {

struct Request {
  std::string method;         // "GET", "HEAD", "POST", "DELETE", ...
  std::string target;         // path and query, as sent ("/v1/connections?ip=1.2.3.4")
  std::string authorization;  // the Authorization header ("" when absent)
  std::string body;
  // The TCP peer: AF_INET (4 bytes) or AF_INET6 (16 bytes), network order.
  int peer_family = 0;
  std::array<uint8_t, 16> peer_bytes{};
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string allow;              // the Allow header of a 405 ("" = none)
  bool www_authenticate = false;  // a 401: `WWW-Authenticate: Bearer`
  bool head = false;              // answer to HEAD: headers only (Content-Length of the body)
};

// {"error": error, "detail": detail} with `status`.
Response json_error(unsigned status, std::string_view error, std::string_view detail);
// `value` serialized, with `status`.
Response json_response(const nlohmann::json& value, unsigned status = 200);
Response text_response(std::string body, std::string content_type, unsigned status = 200);

// The log line of one answered request: "<method> <target> from <peer>: <status>", the method
// and target cut to kLoggedTargetBytes each (with "..." when cut).
inline constexpr size_t kLoggedTargetBytes = 128;
std::string request_log_line(const Request& request, std::string_view peer, unsigned status);

}  // namespace mtedge::gateway::admin
