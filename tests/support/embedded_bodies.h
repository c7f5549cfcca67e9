// TL bodies a client of the embedded backend sends (service messages, wrappers, containers),
// for its tests and its benchmark. No test framework here.
#pragma once

#include <cstdint>
#include <vector>

#include "backend-adapters/embedded/session/service_ids.h"
#include "base/bytes.h"
#include "mtproto/tl/tl_writer.h"

namespace mtedge::backend::embedded::testing {

namespace ids = embedded::ids;
using mtedge::Bytes;
using mtedge::ByteView;
using mtproto::TlWriter;

// A constructor and one long: ping, rpc_drop_answer, destroy_session.
inline Bytes id_body(uint32_t constructor, int64_t id) {
  Bytes b;
  TlWriter w(b);
  w.write_uint32(constructor);
  w.write_int64(id);
  return b;
}
inline Bytes ping_body(int64_t ping_id) {
  return id_body(ids::kPing, ping_id);
}
inline Bytes ping_delay_body(int64_t ping_id, int32_t delay) {
  Bytes b;
  TlWriter w(b);
  w.write_uint32(ids::kPingDelayDisconnect);
  w.write_int64(ping_id);
  w.write_int32(delay);
  return b;
}
inline Bytes ids_body(uint32_t constructor, const std::vector<int64_t>& msg_ids) {
  Bytes b;
  TlWriter w(b);
  w.write_uint32(constructor);
  w.write_vector_header(uint32_t(msg_ids.size()));
  for (int64_t id : msg_ids) w.write_int64(id);
  return b;
}
inline Bytes u32_body(uint32_t constructor) {
  Bytes b;
  TlWriter w(b);
  w.write_uint32(constructor);
  return b;
}
// jsonArray of `count` jsonNull: a JSONValue (initConnection.params) of 12 + 4 * count bytes.
inline Bytes json_nulls(uint32_t count) {
  Bytes b = u32_body(ids::kJsonArray);
  TlWriter w(b);
  w.write_vector_header(count);
  for (uint32_t i = 0; i < count; ++i) w.write_uint32(ids::kJsonNull);
  return b;
}
inline Bytes future_salts_body(int32_t num) {
  Bytes b;
  TlWriter w(b);
  w.write_uint32(ids::kGetFutureSalts);
  w.write_int32(num);
  return b;
}
// invokeWithLayer(layer, initConnection(..., [params], query)); `params` is a JSONValue
// (flags bit 1), none when empty.
inline Bytes with_layer(int32_t layer, ByteView query, ByteView params = {}) {
  Bytes b;
  TlWriter w(b);
  w.write_uint32(ids::kInvokeWithLayer);
  w.write_int32(layer);
  w.write_uint32(ids::kInitConnection);
  w.write_uint32(params.empty() ? 0 : 2);  // flags
  w.write_int32(6);                        // api_id
  for (const char* s : {"test device", "Linux", "1.0", "en", "", "en"}) w.write_string(s);
  w.write_raw(params);
  w.write_raw(query);
  return b;
}

struct ContainerItem {
  int64_t msg_id;
  int32_t seq_no;
  Bytes body;
};
inline Bytes container_body(const std::vector<ContainerItem>& items) {
  Bytes b;
  TlWriter w(b);
  w.write_uint32(ids::kMsgContainer);
  w.write_uint32(uint32_t(items.size()));
  for (const auto& item : items) {
    w.write_int64(item.msg_id);
    w.write_int32(item.seq_no);
    w.write_int32(int32_t(item.body.size()));
    w.write_raw(item.body);
  }
  return b;
}

}  // namespace mtedge::backend::embedded::testing
