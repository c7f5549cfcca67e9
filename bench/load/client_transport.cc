#include "bench/load/client_transport.h"

#include "codecs/detector/detector.h"
#include "codecs/obfuscated/obfuscated2.h"
#include "mtproto/crypto/random.h"

namespace mtedge::bench {

using codecs::Bytes;
using codecs::TransportKind;
namespace obf = codecs::obfuscated;

namespace {

std::optional<TransportKind> plain_kind(std::string_view name) {
  if (name == "abridged") return TransportKind::kAbridged;
  if (name == "intermediate") return TransportKind::kIntermediate;
  if (name == "padded") return TransportKind::kPaddedIntermediate;
  if (name == "full") return TransportKind::kFull;
  return std::nullopt;
}

}  // namespace

Result<TransportSpec> TransportSpec::parse(std::string_view text) {
  TransportSpec spec;
  const size_t colon = text.find(':');
  const std::string_view head = text.substr(0, colon);
  const std::string_view inner = colon == std::string_view::npos ? "" : text.substr(colon + 1);
  if (auto kind = plain_kind(head); kind && inner.empty()) {
    spec.inner = *kind;
    return spec;
  }
  if (head == "obfuscated") {
    spec.outer = Outer::kObfuscated;
  } else if (head == "fake-tls") {
    spec.outer = Outer::kFakeTls;
  } else {
    return Status::error("unknown transport \"" + std::string(text) + "\"");
  }
  if (!inner.empty()) {
    auto kind = plain_kind(inner);
    if (!kind || *kind == TransportKind::kFull)
      return Status::error("obfuscated inner transport must be abridged, intermediate or padded");
    spec.inner = *kind;
  }
  return spec;
}

std::string TransportSpec::name() const {
  const std::string inner_name(codecs::transport_name(inner));
  switch (outer) {
    case Outer::kPlain: return inner_name;
    case Outer::kObfuscated: return "obfuscated:" + inner_name;
    case Outer::kFakeTls: return "fake-tls:" + inner_name;
  }
  return inner_name;
}

ClientTransport::ClientTransport(const TransportSpec& spec,
                                 const std::optional<obf::Secret>& secret)
    : spec_(spec), secret_(secret) {}

Bytes ClientTransport::start(uint32_t unix_now) {
  Bytes out;
  if (spec_.outer == TransportSpec::Outer::kFakeTls) {
    tls_ = std::make_unique<obf::FakeTlsClient>(*secret_);
    return tls_->hello(unix_now);
  }
  build_stack(out);
  return out;
}

void ClientTransport::build_stack(Bytes& out) {
  stack_ = std::make_unique<codecs::TransportStack>(
      codecs::detector::make_framer(spec_.inner, codecs::Role::kClient, mtproto::random_u64()),
      codecs::FrameLimits{});
  if (spec_.outer == TransportSpec::Outer::kPlain) {
    stack_->write_tag(out);
    return;
  }
  const auto* key = secret_ ? &secret_->key : nullptr;
  obf::ClientInit init = obf::make_client_init(spec_.inner, spec_.dc, key);
  const size_t from = out.size();
  out.insert(out.end(), init.header.begin(), init.header.end());
  stack_->add_outer_stage(std::move(init.stage));
  if (spec_.outer == TransportSpec::Outer::kFakeTls) {
    // The init travels inside the first record, after the client's ChangeCipherSpec.
    auto records = tls_->take_record_stage();
    records->outbound(out, from);
    stack_->add_outer_stage(std::move(records));
  }
}

codecs::CodecError ClientTransport::feed(codecs::MutableByteView bytes, codecs::FrameSink& sink,
                                         Bytes& out) {
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
