#include "gateway/admin/message.h"

#include <nlohmann/json.hpp>

namespace mtedge::gateway::admin {

Response json_error(unsigned status, std::string_view error, std::string_view detail) {
  return json_response(nlohmann::json{{"error", error}, {"detail", detail}}, status);
}

Response json_response(const nlohmann::json& value, unsigned status) {
  Response r;
  r.status = status;
  // Invalid UTF-8 (e.g. a byte from a query echoed back) is replaced, never thrown.
  r.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return r;
}

Response text_response(std::string body, std::string content_type, unsigned status) {
  Response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

std::string request_log_line(const Request& request, std::string_view peer, unsigned status) {
  const auto clipped = [](std::string_view text) {
    if (text.size() <= kLoggedTargetBytes) return std::string(text);
    return std::string(text.substr(0, kLoggedTargetBytes)) + "...";
  };
  return clipped(request.method) + " " + clipped(request.target) + " from " + std::string(peer) +
         ": " + std::to_string(status);
}

}  // namespace mtedge::gateway::admin
