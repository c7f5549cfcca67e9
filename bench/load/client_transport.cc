#include "bench/load/client_transport.h"

#include "codecs/framers/framers.h"
#include "codecs/http/http_client_codec.h"
#include "codecs/obfuscated/obfuscated2.h"
#include "codecs/websocket/ws_handshake.h"
#include "codecs/websocket/ws_stream_stage.h"
#include "crypto/random.h"

namespace mtedge::bench {

using codecs::TransportKind;
using mtedge::Bytes;
namespace obf = codecs::obfuscated;

namespace {

// The upgrade response ends within this many bytes or the connection fails.
constexpr size_t kMaxUpgradeResponse = 8192;

// WebSocket masks need no secrecy here (they only keep proxies from caching): xorshift.
uint32_t next_mask() {
  static thread_local uint32_t state = 0x9e3779b9;
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return state;
}

// HTTP: a 200 response's body is the packet (an empty body, the answer to a long poll
// nobody filled, carries none); any other status ends the connection.
class HttpAnswers final : public codecs::http::ResponseSink {
 public:
  explicit HttpAnswers(codecs::FrameSink& sink) : sink_(sink) {}
  bool on_response(const codecs::http::Response& response) override {
    if (response.status != 200) {
      bad_status = true;
      return false;
    }
    return response.body.empty() || sink_.on_packet(response.body, false);
  }
  bool bad_status = false;

 private:
  codecs::FrameSink& sink_;
};

// The transports the load generator wraps around obfuscated2.
constexpr codecs::TransportSet kObfuscated2Envelopes = {
    TransportKind::kObfuscated, TransportKind::kFakeTls, TransportKind::kWebSocket};

}  // namespace

Result<TransportSpec> TransportSpec::parse(std::string_view text) {
  TransportSpec spec;
  const size_t colon = text.find(':');
  const std::string_view head = text.substr(0, colon);
  const std::string_view inner = colon == std::string_view::npos ? "" : text.substr(colon + 1);
  const std::optional<TransportKind> kind = codecs::parse_transport(head);
  if (kind && inner.empty() && (codecs::has_framer(*kind) || *kind == TransportKind::kHttp)) {
    spec.outer = *kind;
    if (codecs::has_framer(*kind)) spec.inner = *kind;
    return spec;
  }
  if (!kind || !kObfuscated2Envelopes.contains(*kind)) {
    return Status::error("unknown transport \"" + std::string(text) + "\"");
  }
  spec.outer = *kind;
  if (!inner.empty()) {
    const codecs::TransportSet carried = codecs::obfuscated2_inner_transports();
    auto inner_kind = codecs::parse_transport(inner);
    if (!inner_kind || !carried.contains(*inner_kind))
      return Status::error("obfuscated inner transport must be one of " +
                           codecs::transport_names(carried));
    spec.inner = *inner_kind;
  }
  return spec;
}

std::string TransportSpec::name() const {
  const std::string outer_name(codecs::transport_name(outer));
  if (plain() || is(TransportKind::kHttp)) return outer_name;
  return outer_name + ":" + std::string(codecs::transport_name(inner));
}

ClientTransport::ClientTransport(const TransportSpec& spec,
                                 const std::optional<obf::Secret>& secret)
    : spec_(spec), secret_(secret) {}

Bytes ClientTransport::start(uint32_t unix_now) {
  Bytes out;
  if (spec_.is(TransportKind::kFakeTls)) {
    tls_ = std::make_unique<obf::FakeTlsClient>(*secret_);
    return tls_->hello(unix_now);
  }
  if (spec_.is(TransportKind::kHttp)) {
    http_ = std::make_unique<codecs::http::HttpResponseParser>();
    return out;  // nothing before the first request
  }
  if (spec_.is(TransportKind::kWebSocket)) {
    // The key is the RFC 6455 example nonce: the server only echoes its hash.
    codecs::websocket::encode_upgrade_request("/apiws", "localhost",
                                              "dGhlIHNhbXBsZSBub25jZQ==", out);
    return out;
  }
  build_stack(out);
  return out;
}

void ClientTransport::build_stack(Bytes& out) {
  stack_ = std::make_unique<codecs::TransportStack>(
      codecs::make_framer(spec_.inner, codecs::Role::kClient, crypto::random_u64()),
      codecs::FrameLimits{});
  if (spec_.plain()) {
    stack_->write_tag(out);
    return;
  }
  const auto* key = secret_ ? &secret_->key : nullptr;
  obf::ClientInit init = obf::make_client_init(spec_.inner, spec_.dc, key);
  const size_t from = out.size();
  out.insert(out.end(), init.header.begin(), init.header.end());
  stack_->add_outer_stage(std::move(init.stage));
  if (spec_.is(TransportKind::kFakeTls)) {
    // The init travels inside the first record, after the client's ChangeCipherSpec.
    auto records = tls_->take_record_stage();
    records->outbound(out, from);
    stack_->add_outer_stage(std::move(records));
  } else if (spec_.is(TransportKind::kWebSocket)) {
    // The init is the first binary message; each later write is one message.
    codecs::websocket::StageOptions options;
    options.role = codecs::Role::kClient;
    options.mask_source = next_mask;
    auto ws = std::make_unique<codecs::websocket::WsStreamStage>(std::move(options));
    ws->outbound(out, from);
    stack_->add_outer_stage(std::move(ws));
  }
}

codecs::CodecError ClientTransport::on_upgrade_response(ByteView bytes, bool& done, Bytes& rest) {
  upgrade_response_.insert(upgrade_response_.end(), bytes.begin(), bytes.end());
  const std::string_view text(reinterpret_cast<const char*>(upgrade_response_.data()),
                              upgrade_response_.size());
  const size_t end = text.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    done = false;
    return upgrade_response_.size() > kMaxUpgradeResponse ? codecs::CodecError::kWsProtocolError
                                                          : codecs::CodecError::kNone;
  }
  if (text.rfind("HTTP/1.1 101", 0) != 0) return codecs::CodecError::kWsProtocolError;
  done = true;
  rest.assign(upgrade_response_.begin() + std::ptrdiff_t(end + 4), upgrade_response_.end());
  Bytes().swap(upgrade_response_);
  return codecs::CodecError::kNone;
}

void ClientTransport::write_packet(ByteView payload, Bytes& out) {
  if (http_) {
    codecs::http::encode_request("/api", "localhost", payload, true, out);
    return;
  }
  stack_->write_packet(payload, false, out);
}

codecs::CodecError ClientTransport::feed(MutableByteView bytes, codecs::FrameSink& sink,
                                         Bytes& out) {
  if (http_) {
    HttpAnswers answers(sink);
    const codecs::CodecError error = http_->feed(bytes, answers);
    if (error == codecs::CodecError::kNone && answers.bad_status)
      return codecs::CodecError::kBadServerPacket;
    return error;
  }
  if (!stack_ && spec_.is(TransportKind::kWebSocket)) {
    bool done = false;
    Bytes rest;
    if (auto error = on_upgrade_response(bytes, done, rest); error != codecs::CodecError::kNone)
      return error;
    if (!done) return codecs::CodecError::kNone;
    build_stack(out);
    return rest.empty() ? codecs::CodecError::kNone : stack_->feed(rest, sink);
  }
  if (!stack_) {  // fake-TLS: waiting for the server's hello
    switch (tls_->feed(bytes)) {
      case obf::FakeTlsClient::Step::kNeedMore: return codecs::CodecError::kNone;
      case obf::FakeTlsClient::Step::kError: return tls_->error();
      case obf::FakeTlsClient::Step::kDone: break;
    }
    build_stack(out);
    Bytes rest(tls_->leftover().begin(), tls_->leftover().end());
    tls_.reset();
    return rest.empty() ? codecs::CodecError::kNone : stack_->feed(rest, sink);
  }
  return stack_->feed(bytes, sink);
}

}  // namespace mtedge::bench
