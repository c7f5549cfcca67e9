// mtedge-load's messenger mode reads the server's answers and pushes (bench/load/messenger_tl):
// the sign-in answers through the schema engine, sendMessage's answer and updateShortMessage
// by hand. Any bytes: no crash, and a text read back lies inside the input.
#include <cstdint>
#include <cstdlib>

#include "bench/load/messenger_tl.h"

using namespace mtedge;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto tl = [] {
    auto m = bench::MessengerTl::load();
    if (!m) abort();
    return std::move(m.value());
  }();
  const ByteView body(data, size);
  (void)tl->read_sign_in_answer(body);
  std::string error;
  (void)tl->read_send_answer(body, error);
  int64_t from = 0;
  std::string_view text;
  if (tl->read_short_message(body, from, text) &&
      (text.data() < reinterpret_cast<const char*>(data) ||
       text.data() + text.size() > reinterpret_cast<const char*>(data) + size))
    abort();
  return 0;
}
