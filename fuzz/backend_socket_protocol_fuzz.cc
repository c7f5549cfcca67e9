// libFuzzer target: what a backend sends the gateway (a backend is trusted less than you
// think). The input is a byte stream of delimited mtedge.v1 BackendMessages, decoded once
// whole and once in splits chosen by the first byte; both must yield the same messages, and
// every message goes through the same checks the stream applies (HelloAck first, then the rest).
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "backend-adapters/socket/delimited.h"
#include "backend-adapters/socket/protocol.h"

namespace {

using mtedge::backend::socket::Bytes;
using mtedge::backend::socket::ByteView;
using mtedge::backend::socket::DelimitedError;
using mtedge::backend::socket::DelimitedReader;

constexpr size_t kMaxMessage = 64 * 1024;

struct Checker : mtedge::backend::socket::MessageSink {
  std::vector<Bytes> messages;
  bool hello_done = false;
  mtedge::v1::BackendMessage parsed;
  bool on_message(ByteView message) override {
    messages.emplace_back(message.begin(), message.end());
    mtedge::Status status =
        mtedge::backend::socket::parse_backend_message(message, hello_done, parsed);
    if (!status) return false;  // the stream fails here
    hello_done = true;
    (void)mtedge::backend::socket::costs_credit(parsed);
    return true;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t split = size_t(data[0] % 64) + 1;
  ByteView stream(data + 1, size - 1);

  Checker whole;
  DelimitedReader whole_reader(kMaxMessage);
  DelimitedError whole_error = whole_reader.feed(stream, whole);

  Checker pieces;
  DelimitedReader piece_reader(kMaxMessage);
  DelimitedError piece_error = DelimitedError::kNone;
  for (size_t at = 0; at < stream.size() && piece_error == DelimitedError::kNone; at += split) {
    piece_error =
        piece_reader.feed(stream.subspan(at, std::min(split, stream.size() - at)), pieces);
  }
  if (whole_error != piece_error || whole.messages != pieces.messages) std::abort();
  return 0;
}
