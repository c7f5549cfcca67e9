#include "gateway/admin/http_codec.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/write.hpp>
#include <cstring>
#include <sstream>

#include "gateway/admin/router.h"

namespace mtedge::gateway::admin {

void apply_limits(RequestParser& parser) {
  parser.header_limit(static_cast<std::uint32_t>(kMaxHeadBytes));
  parser.body_limit(kMaxBodyBytes);
}

Request from_beast(const BeastRequest& request, int peer_family, const uint8_t* peer_bytes) {
  Request r;
  r.method = std::string(request.method_string());
  r.target = std::string(request.target());
  r.authorization = std::string(request[http::field::authorization]);
  r.body = request.body();
  r.peer_family = peer_family;
  std::memcpy(r.peer_bytes.data(), peer_bytes, peer_family == AF_INET6 ? 16 : 4);
  return r;
}

BeastResponse to_beast(const Response& response) {
  BeastResponse out{static_cast<http::status>(response.status), 11};
  out.set(http::field::server, "mtedge");
  out.set(http::field::content_type, response.content_type);
  out.set(http::field::cache_control, "no-store");
  if (!response.allow.empty()) out.set(http::field::allow, response.allow);
  if (response.www_authenticate) out.set(http::field::www_authenticate, "Bearer");
  out.keep_alive(false);
  if (response.head) {
    out.content_length(response.body.size());  // the headers a GET would get, no body
  } else {
    out.body() = response.body;
    out.prepare_payload();
  }
  return out;
}

Response parse_failure(const boost::beast::error_code& error) {
  if (error == http::error::header_limit) {
    return json_error(413, "too_large", "request head over 8 KiB");
  }
  if (error == http::error::body_limit) {
    return json_error(413, "too_large", "request body over 64 KiB");
  }
  return json_error(400, "bad_request", error.message());
}

std::string answer_bytes(std::string_view bytes, int peer_family, const uint8_t* peer_bytes,
                         const AccessPolicy& policy, Views& views) {
  RequestParser parser;
  apply_limits(parser);
  parser.eager(true);
  boost::beast::error_code error;
  size_t used = 0;
  while (!parser.is_done() && used < bytes.size()) {
    const size_t n =
        parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), error);
    used += n;
    if (error == http::error::need_more) {
      error = {};
      if (n == 0) break;  // it needs bytes past the end
    }
    if (error) break;
  }
  if (!error && !parser.got_some()) {
    error = http::error::end_of_stream;  // put_eof would take no bytes as a whole message
  } else if (!error && !parser.is_done()) {
    parser.put_eof(error);
    if (!error && !parser.is_done()) error = http::error::partial_message;
  }
  const Response response =
      error ? parse_failure(error)
            : route(from_beast(parser.get(), peer_family, peer_bytes), policy, views);
  std::ostringstream out;
  out << to_beast(response);
  return out.str();
}

}  // namespace mtedge::gateway::admin
