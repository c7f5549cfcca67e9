// Between Beast's HTTP messages and the router's (gateway/admin/message.h), with the limits
// every management request is read under.
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <string>
#include <string_view>

#include "gateway/admin/access.h"
#include "gateway/admin/message.h"
#include "gateway/admin/views.h"

namespace mtedge::gateway::admin {

// The request line and headers, and the body: past either the answer is 413.
inline constexpr size_t kMaxHeadBytes = 8 * 1024;
inline constexpr size_t kMaxBodyBytes = 64 * 1024;

namespace http = boost::beast::http;
using BeastRequest = http::request<http::string_body>;
using BeastResponse = http::response<http::string_body>;
using RequestParser = http::request_parser<http::string_body>;

// A parser with the limits above.
void apply_limits(RequestParser& parser);

// `peer`: AF_INET (4 bytes) or AF_INET6 (16 bytes) in network order.
Request from_beast(const BeastRequest& request, int peer_family, const uint8_t* peer_bytes);
// Always `Connection: close` (one request per connection).
BeastResponse to_beast(const Response& response);
// The answer to a request that failed to parse with `error`: 413 for the limits, else 400.
Response parse_failure(const boost::beast::error_code& error);

// One whole exchange on bytes received at once (the fuzz target, tests): parse with the
// limits, route, and serialize the answer. Bytes that end before the request does get 400.
std::string answer_bytes(std::string_view bytes, int peer_family, const uint8_t* peer_bytes,
                         const AccessPolicy& policy, Views& views);

}  // namespace mtedge::gateway::admin
