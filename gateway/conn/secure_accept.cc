#include "gateway/conn/secure_accept.h"

#include <cassert>

#include "codecs/framers/framers.h"

namespace mtedge::gateway {

using codecs::CodecError;
using codecs::TransportKind;
using mtedge::Bytes;
using mtedge::ByteView;
using mtedge::MutableByteView;
namespace obf = codecs::obfuscated;

SecureAccept::SecureAccept(TransportKind transport, SecureAcceptOptions options,
                           obf::ReplayCache* replay,
                           std::unique_ptr<codecs::EnvelopeStage> envelope)
    : transport_(transport),
      options_(options),
      replay_(replay),
      answered_(transport == TransportKind::kWebSocket) {
  assert((transport_ == TransportKind::kWebSocket) == (envelope != nullptr));
  if (transport_ == TransportKind::kFakeTls) {
    tls_.emplace(options_.secrets, options_.tls, replay_);
  } else {
    inner_.emplace(options_.secrets, options_.init, replay_);
    if (envelope) inner_->set_record_stage(std::move(envelope));
  }
}

ByteView SecureAccept::raw() const {
  return transport_ == TransportKind::kFakeTls ? tls_->received() : ByteView(raw_);
}

SecureAccept::Step SecureAccept::feed(MutableByteView bytes, int64_t now, Bytes& out) {
  if (transport_ == TransportKind::kObfuscated) {
    // The acceptor decrypts in place: keep the client's bytes as sent, for fronting.
    raw_.insert(raw_.end(), bytes.begin(), bytes.end());
    Step step = feed_inner(bytes, now);
    if (step == Step::kDone) Bytes().swap(raw_);
    if (step == Step::kError && error_ == CodecError::kNone) error_ = inner_->error();
    return step;
  }
  if (inner_) return feed_inner(bytes, now);  // kWebSocket, or fake-TLS after the hello

  switch (tls_->feed(bytes, now)) {
    case obf::FakeTlsAcceptor::Step::kNeedMore: return Step::kNeedMore;
    case obf::FakeTlsAcceptor::Step::kError: return fail(tls_->error());
    case obf::FakeTlsAcceptor::Step::kDone: break;
  }
  const Bytes& reply = tls_->server_hello();
  out.insert(out.end(), reply.begin(), reply.end());
  answered_ = true;
  // The inner obfuscated2 init must use the secret whose HMAC matched.
  obf::InitOptions inner_options;
  inner_options.allow_no_secret = false;
  inner_options.include_ee = true;
  const auto index = static_cast<size_t>(tls_->secret_index());
  inner_.emplace(options_.secrets.subspan(index, 1), inner_options, replay_);
  inner_->set_record_stage(tls_->take_record_stage());
  MutableByteView leftover = tls_->leftover();
  if (leftover.empty()) return Step::kNeedMore;
  return feed_inner(leftover, now);
}

SecureAccept::Step SecureAccept::feed_inner(MutableByteView bytes, int64_t now) {
  switch (inner_->feed(bytes, now)) {
    case obf::ObfuscatedAcceptor::Step::kNeedMore: return Step::kNeedMore;
    case obf::ObfuscatedAcceptor::Step::kError: return fail(inner_->error());
    case obf::ObfuscatedAcceptor::Step::kDone: return Step::kDone;
  }
  return fail(CodecError::kObfuscatedBadTag);
}

void SecureAccept::build_stack(std::optional<codecs::TransportStack>& stack,
                               codecs::FrameLimits limits, uint64_t seed) {
  assert(inner_);
  stack.emplace(codecs::make_framer(inner_transport(), codecs::Role::kServer, seed), limits);
  // take_stages() is innermost first; each add_outer_stage goes outside the previous ones.
  for (auto& stage : inner_->take_stages()) stack->add_outer_stage(std::move(stage));
}

const std::string& SecureAccept::sni() const {
  static const std::string kNone;
  return tls_ ? tls_->sni() : kNone;
}

}  // namespace mtedge::gateway
