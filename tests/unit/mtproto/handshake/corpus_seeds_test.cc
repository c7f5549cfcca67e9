// Writes the fuzz seed corpora of the handshake targets from real client messages when
// MTEDGE_WRITE_CORPUS=<repo>/fuzz/corpus is set (run once; the files are committed).
// Without the variable the test only checks that the generator runs.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "mtproto/handshake/unencrypted.h"
#include "tests/support/handshake_context.h"
#include "tests/support/hex.h"

namespace mtedge::mtproto {
namespace {

using mtedge::test::from_hex;

void put(const char* root, const char* target, const char* name, const Bytes& bytes) {
  if (!root) return;
  std::filesystem::path dir = std::filesystem::path(root) / target;
  std::filesystem::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

Bytes records(std::initializer_list<Bytes> payloads) {
  Bytes out;
  for (const auto& p : payloads) {
    out.push_back(static_cast<uint8_t>(p.size()));
    out.push_back(static_cast<uint8_t>(p.size() >> 8));
    append(out, p);
  }
  return out;
}

TEST(CorpusSeeds, Generate) {
  const char* root = std::getenv("MTEDGE_WRITE_CORPUS");
  const int64_t now = 1'700'000'000'000;
  int n = 0;
  for (auto [enc, inner, multi] :
       {std::tuple{RsaEncoding::kRsaPad, handshake_ids::kPQInnerDataDc, true},
        std::tuple{RsaEncoding::kLegacySha1, handshake_ids::kPQInnerData, false},
        std::tuple{RsaEncoding::kRsaPad, handshake_ids::kPQInnerDataTempDc, true}}) {
    auto ctx = testing::make_context();
    HandshakeServer server(ctx, "ip");
    HandshakeClientOptions o;
    o.server_key = testing::test_key().public_key();
    o.encoding = enc;
    o.inner_constructor = inner;
    o.use_req_pq_multi = multi;
    HandshakeClient client(o);
    auto req_pq = build_unencrypted(0, client.req_pq());
    auto res = server.handle_payload(req_pq, now);
    ASSERT_EQ(res.kind, HandshakeOutput::Kind::kReply);
    auto res_body = parse_unencrypted(res.reply).value().body;
    auto req_dh = build_unencrypted(0, client.on_res_pq(res_body).value());
    auto dh = server.handle_payload(req_dh, now);
    ASSERT_EQ(dh.kind, HandshakeOutput::Kind::kReply) << dh.reason;
    auto set = build_unencrypted(
        0, client.on_server_dh_params(parse_unencrypted(dh.reply).value().body).value());
    auto gen = server.handle_payload(set, now);
    ASSERT_TRUE(gen.completed.has_value());
    std::string tag = std::to_string(n++);
    put(root, "mtproto_handshake", ("req_pq_" + tag).c_str(), records({req_pq}));
    put(root, "mtproto_handshake", ("full_" + tag).c_str(), records({req_pq, req_dh, set}));
    put(root, "mtproto_handshake", ("repeat_" + tag).c_str(),
        records({req_pq, req_pq, req_dh, req_dh, set, set}));
    put(root, "mtproto_unencrypted", ("req_pq_" + tag).c_str(), req_pq);
    put(root, "mtproto_unencrypted", ("req_dh_" + tag).c_str(), req_dh);
    put(root, "mtproto_unencrypted", ("set_client_dh_" + tag).c_str(), set);
    put(root, "mtproto_unencrypted", ("res_pq_" + tag).c_str(), res.reply);
  }
  // TDLib-style: msg_id 0 and padding inside the length.
  HandshakeClientOptions o;
  o.server_key = testing::test_key().public_key();
  HandshakeClient client(o);
  Bytes padded = client.req_pq();
  padded.resize(208, 0x5a);
  put(root, "mtproto_handshake", "tdlib_padded", records({build_unencrypted(0, padded)}));
  put(root, "mtproto_unencrypted", "tdlib_padded", build_unencrypted(0, padded));
  put(root, "mtproto_unencrypted", "sample_req_pq_multi",
      from_hex(
          "0000000000000000 D4720600503DC565 14000000 F18E7EBE 406709F612FADFBEC3F0289D0AA67EEF"));
  Bytes inner = from_hex(
      "955FF5A9 08256595EDB7766797000000 045A300D4B000000 046A26DB65000000"
      "406709F612FADFBEC3F0289D0AA67EEF E11DBC3BC97D91A26154F932AF019943"
      "A8BBC849512DAC6C67B6EFD9157D6CA7377A1776307D84265C6BE9BDCF802AC1 02000000");
  put(root, "mtproto_unencrypted", "p_q_inner_data_dc", inner);
  auto pad_block = rsa_pad_encode(inner, testing::test_key().public_key());
  auto legacy_block = legacy_rsa_encode(inner);
  ASSERT_TRUE(pad_block.is_ok() && legacy_block.is_ok());
  put(root, "mtproto_unencrypted", "rsa_pad_block", Bytes(pad_block->begin(), pad_block->end()));
  put(root, "mtproto_unencrypted", "legacy_block",
      Bytes(legacy_block->begin(), legacy_block->end()));
}

}  // namespace
}  // namespace mtedge::mtproto
