#include "gateway/conn/accept_driver.h"

#include <ctime>

#include "gateway/conn/ws_output.h"

namespace mtedge::gateway {

using backend::CloseReason;
using codecs::CodecError;

void AcceptDriver::on_bytes(MutableByteView data) {
  Bytes& out = port_.out();
  const size_t queued_before = out.size();
  const SecureAccept::Step step = accept_->feed(data, static_cast<int64_t>(time(nullptr)), out);
  if (out.size() != queued_before) port_.mark_dirty();  // the fake-TLS ServerHello
  if (step == SecureAccept::Step::kNeedMore) {
    if (ws_ != nullptr) take_ws_output(port_, *ws_);  // pongs before the init
    return;
  }
  if (step == SecureAccept::Step::kError) {
    const CodecError error = accept_->error();
    port_.count_codec_error(error);
    if (codecs::error_info(error).action == codecs::ErrorAction::kWebSocketClose &&
        ws_ != nullptr) {
      take_ws_output(port_, *ws_);  // the stage queued a close frame with the error's code
      port_.begin_close(CloseReason::kProtocolError);
      return;
    }
    // The raw bytes move to a local: fronting replaces this driver.
    std::unique_ptr<SecureAccept> failed = std::move(accept_);
    close_for_codec_error(port_, error, failed->can_front() ? failed->raw() : ByteView());
    return;
  }
  backend::ConnInfo info;
  info.transport = accept_->transport();
  info.framing = accept_->inner_transport();
  info.dc_id = accept_->dc_id();
  info.secret_label = accept_->secret_label();
  // What follows the init stays in `done`; open_stream() replaces this driver.
  ConnPort& port = port_;
  std::unique_ptr<SecureAccept> done = std::move(accept_);
  port.open_stream(std::move(info), ws_, [&](std::optional<codecs::TransportStack>& stack) {
    done->build_stack(stack, frame_limits(port.settings()), port.random());
  });
  if (!done->rest().empty()) port.deliver(done->rest());
}

void AcceptDriver::on_timer() {
  note_error(port_, ConnError::kDetectTimeout);
  port_.close_now(CloseReason::kTimeout);
}

}  // namespace mtedge::gateway
