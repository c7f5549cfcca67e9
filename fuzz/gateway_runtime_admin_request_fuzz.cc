// The admin endpoint's request-line handling, fed arbitrary request heads.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/runtime/admin.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view head(reinterpret_cast<const char*>(data), size);
  head = head.substr(0, head.find("\r\n"));
  static const mtedge::gateway::AdminServer::TextFn metrics = [] { return std::string("m 1\n"); };
  std::string reply = mtedge::gateway::AdminServer::respond(head, metrics, size % 2 == 0);
  if (reply.rfind("HTTP/1.1 ", 0) != 0) __builtin_trap();
  return 0;
}
