// The fake-TLS record layer after the handshake (docs/spec/wire-notes.md §3.4), as a StreamStage.
//
// Inbound: optionally one leading ChangeCipherSpec `14 03 03 00 01 01` (the client sends it
// once after the ServerHello), then only application-data records `17 03 03 LL LL` with
// LL <= 16384 + 256. Anything else is kTlsBadRecord (sticky). Headers are stripped in place
// (the payloads are compacted to the front of the buffer); a header may be split across
// feeds at any offset. Record payloads are opaque (the obfuscated2 CTR stream); MTProto
// frames may straddle records.
// Outbound: bytes are wrapped into `17 03 03` records of at most `max_out_record` bytes.
#pragma once

#include <cstddef>
#include <cstdint>

#include "codecs/core/transport_stack.h"

namespace mtedge::codecs::obfuscated {

inline constexpr size_t kTlsMaxRecordPayload = 16384 + 256;  // TLS 1.3 ciphertext limit
inline constexpr size_t kTlsMaxOutRecord = 16384;

struct TlsRecordOptions {
  bool accept_leading_ccs = true;  // server side: the client's one ChangeCipherSpec
  bool send_leading_ccs = false;   // client side: emit `14 03 03 00 01 01` before the first record
  size_t max_out_record = kTlsMaxOutRecord;
};

class TlsRecordStage final : public EnvelopeStage {
 public:
  explicit TlsRecordStage(TlsRecordOptions options = {}) : options_(options) {}

  MutableByteView inbound(MutableByteView in, CodecError& error) override;
  void outbound(Bytes& out, size_t from) override;

  // EnvelopeStage: the obfuscated2 init inside fake-TLS (see ObfuscatedAcceptor).
  void pass_through(size_t count) override { pass_through_ += count; }

  uint64_t records_in() const { return records_in_; }
  uint64_t records_out() const { return records_out_; }

 private:
  TlsRecordOptions options_;
  uint8_t header_[5] = {};
  size_t header_have_ = 0;
  size_t payload_left_ = 0;   // payload bytes still to come in the current record
  bool in_ccs_ = false;       // the current record is the ChangeCipherSpec
  bool seen_record_ = false;  // any record started (CCS is only accepted first)
  bool ccs_sent_ = false;
  size_t pass_through_ = 0;
  uint64_t records_in_ = 0;
  uint64_t records_out_ = 0;
  CodecError error_ = CodecError::kNone;
};

}  // namespace mtedge::codecs::obfuscated
