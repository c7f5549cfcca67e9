// The management API's request handling on arbitrary bytes: Beast's request parser with the
// server's limits -> the router (fake views; the first byte picks the peer, the token policy
// and whether the gateway is draining or its backend down) -> an answer, which must parse back as a
// whole HTTP/1.1 response whose body, unless it is Prometheus text, is JSON.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "gateway/admin/http_codec.h"
#include "tests/support/admin_fake_views.h"

namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mtedge::gateway;
  const uint8_t mode = size > 0 ? data[0] : 0;
  const std::string_view bytes =
      size > 0 ? std::string_view(reinterpret_cast<const char*>(data + 1), size - 1) : "";
  static const admin::AccessPolicy kPolicies[] = {
      {{parse_cidr("127.0.0.0/8").value()}, "", false},
      {{parse_cidr("127.0.0.0/8").value()}, "token", false},
      {{parse_cidr("127.0.0.0/8").value()}, "token", true},
      {{parse_cidr("10.0.0.0/8").value()}, "", false}};
  const uint8_t loopback[4] = {127, 0, 0, 1};
  mtedge::test::FakeViews views;
  views.draining = (mode & 4) != 0;
  views.backend_up = (mode & 16) == 0;
  const std::string answer =
      admin::answer_bytes(bytes, AF_INET, loopback, kPolicies[mode % 4], views);

  // A HEAD answer carries the GET answer's Content-Length without a body: a parser told to
  // skip the body (as a HEAD client's is) must accept it whole.
  for (const bool skip_body : {false, true}) {
    http::response_parser<http::string_body> parser;
    parser.eager(true);
    parser.skip(skip_body);
    boost::beast::error_code error;
    const size_t used = parser.put(boost::asio::buffer(answer), error);
    if (error || !parser.is_done() || used != answer.size()) continue;
    const auto& response = parser.get();
    if (response.result_int() < 200 || response.result_int() > 599) __builtin_trap();
    const std::string type(response[http::field::content_type]);
    if (!skip_body && type == "application/json" && !nlohmann::json::accept(response.body())) {
      __builtin_trap();
    }
    return 0;
  }
  __builtin_trap();  // the answer is not one well-formed response
}
