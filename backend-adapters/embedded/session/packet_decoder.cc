#include "backend-adapters/embedded/session/packet_decoder.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "backend-adapters/embedded/session/gzip.h"
#include "backend-adapters/embedded/session/service_ids.h"
#include "mtproto/tl/tl_reader.h"

namespace mtedge::backend::embedded {
namespace {

using mtproto::TlReader;

constexpr int kMaxWrapperDepth = 8;  // invokeWithLayer(initConnection(...)) nesting
constexpr size_t kMinInflateBudget = 8 * 1024;
constexpr size_t kInflateRatio = 4;

template <class Entry>
const Entry* find_at(const std::vector<std::pair<const uint8_t*, Entry>>& entries,
                     const uint8_t* at) {
  auto it = std::lower_bound(
      entries.begin(), entries.end(), at,
      [](const auto& e, const uint8_t* p) { return std::less<const uint8_t*>{}(e.first, p); });
  return it != entries.end() && it->first == at ? &it->second : nullptr;
}

template <class Entry>
void sort_by_address(std::vector<std::pair<const uint8_t*, Entry>>& entries) {
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return std::less<const uint8_t*>{}(a.first, b.first);
  });
}

bool is_id_vector_request(uint32_t constructor) {
  return constructor == ids::kMsgsAck || constructor == ids::kMsgsStateReq ||
         constructor == ids::kMsgResendReq;
}

// Skips one boxed JSONValue without building it: false (and `r` failed) if it is malformed or
// longer than `max_bytes`. Every value counts one node against `nodes`.
bool skip_json_value(TlReader& r, size_t max_bytes, const std::function<bool(size_t)>& spend) {
  struct Pending {
    bool object_values;  // jsonObjectValue entries, else JSONValue
    uint32_t left;
  };
  const size_t start = r.position();
  std::vector<Pending> stack{{false, 1}};
  while (!stack.empty() && r.ok()) {
    if (stack.back().left == 0) {
      stack.pop_back();
      continue;
    }
    --stack.back().left;
    if (!spend(1)) return false;
    if (stack.back().object_values) {
      r.expect(ids::kJsonObjectValue);
      r.read_bytes();  // key
      stack.push_back({false, 1});
    } else {
      switch (r.read_uint32()) {
        case ids::kJsonNull: break;
        case ids::kJsonBool: r.read_bool(); break;
        case ids::kJsonNumber: r.skip(8); break;
        case ids::kJsonString: r.read_bytes(); break;
        case ids::kJsonArray: stack.push_back({false, r.read_vector_header(4)}); break;
        case ids::kJsonObject: stack.push_back({true, r.read_vector_header(12)}); break;
        default: r.fail("JSONValue: unknown constructor");
      }
    }
    if (r.position() - start > max_bytes) r.fail("JSONValue: too long");
  }
  return r.ok();
}

}  // namespace

size_t inflate_budget_for(size_t body_size, size_t max_inflate_bytes) {
  return std::min(max_inflate_bytes, std::max(kMinInflateBudget, kInflateRatio * body_size));
}

DecodedPacket DecodedPacket::decode(ByteView body, const PacketLimits& limits) {
  DecodedPacket packet;
  packet.left_ = limits;
  packet.message(body, false);
  sort_by_address(packet.inflated_);
  sort_by_address(packet.queries_);
  return packet;
}

const DecodedPacket& DecodedPacket::none() {
  static const DecodedPacket empty;
  return empty;
}

const Inflated* DecodedPacket::inflated(ByteView message) const {
  return find_at(inflated_, message.data());
}

const Query* DecodedPacket::query(ByteView payload) const {
  return find_at(queries_, payload.data());
}

bool DecodedPacket::spend_nodes(size_t n) {
  if (over_budget_ != nullptr) return false;
  if (n > left_.nodes) {
    over_budget_ = "TL node budget";
    left_.nodes = 0;
    return false;
  }
  left_.nodes -= n;
  return true;
}

bool DecodedPacket::inflate(ByteView packed, Bytes* out) {
  if (over_budget_ != nullptr) return false;
  auto result = gunzip(packed, left_.inflate_bytes);
  if (!result) {
    if (result.status().message() == kInflatedOverCap) {
      over_budget_ = "inflated bytes budget";
      left_.inflate_bytes = 0;
    }
    return false;
  }
  left_.inflate_bytes -= result->size();
  *out = std::move(result.value());
  return true;
}

void DecodedPacket::message(ByteView body, bool in_container) {
  if (!spend_nodes(1) || body.size() < 4) return;
  const uint32_t constructor = load_le32(body.data());
  if (constructor == ids::kMsgContainer) {
    if (!in_container) container(body);
    return;
  }
  if (constructor != ids::kGzipPacked) {
    content(body);
    return;
  }
  TlReader r(body);
  r.expect(ids::kGzipPacked);
  ByteView packed = r.read_bytes();
  auto buffer = std::make_unique<Bytes>();
  Inflated entry;
  entry.ok = r.ok() && inflate(packed, buffer.get()) && buffer->size() >= 4;
  if (entry.ok) {
    entry.payload = *buffer;
    buffers_.push_back(std::move(buffer));
  }
  inflated_.emplace_back(body.data(), entry);
  if (!entry.ok) return;
  if (load_le32(entry.payload.data()) == ids::kMsgContainer) {
    if (!in_container) container(entry.payload);
    return;
  }
  content(entry.payload);
}

void DecodedPacket::container(ByteView body) {
  TlReader r(body);
  r.expect(ids::kMsgContainer);
  uint32_t count = r.read_uint32();
  if (!r.ok() || count > kMaxContainerMessages) return;  // the session layer answers 64
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    r.skip(12);  // msg_id, seq_no
    int32_t size = r.read_int32();
    if (!r.ok() || size < 0 || size % 4 != 0) return;
    ByteView item = r.read_raw(size_t(size));
    if (r.ok()) message(item, true);
    if (over_budget_ != nullptr) return;
  }
}

void DecodedPacket::content(ByteView payload) {
  const uint32_t constructor = load_le32(payload.data());
  if (is_id_vector_request(constructor)) {
    // The session layer reads at most kMaxIdsPerRequest of them (more is malformed).
    TlReader r(payload);
    r.read_uint32();
    uint32_t count = r.read_vector_header(8);
    if (r.ok() && count <= kMaxIdsPerRequest) spend_nodes(count);
    return;
  }
  unwrap(payload);
}

void DecodedPacket::unwrap(ByteView payload) {
  Query query;
  ByteView rest = payload;
  bool inflated_once = false;
  auto spend = [this](size_t n) { return spend_nodes(n); };
  for (int depth = 0; depth < kMaxWrapperDepth && rest.size() >= 4; ++depth) {
    if (!spend_nodes(1)) return;
    const uint32_t constructor = load_le32(rest.data());
    TlReader r(rest);
    r.read_uint32();
    const char* wrapper = nullptr;
    if (constructor == ids::kInvokeWithLayer) {
      wrapper = "invokeWithLayer";
      int32_t layer = r.read_int32();
      if (r.ok() && layer > 0) query.layer = layer;
    } else if (constructor == ids::kInitConnection) {
      wrapper = "initConnection";
      auto app = std::make_shared<AppInfo>();
      uint32_t flags = r.read_uint32();
      app->api_id = r.read_int32();
      app->device_model = r.read_string();
      app->system_version = r.read_string();
      app->app_version = r.read_string();
      app->system_lang_code = r.read_string();
      app->lang_pack = r.read_string();
      app->lang_code = r.read_string();
      if (flags & 1) {  // proxy: inputClientProxy address:string port:int
        r.expect(ids::kInputClientProxy);
        r.read_string();
        r.read_int32();
      }
      // params: JSONValue, not used: skipped, never built.
      if ((flags & 2) && r.ok() && !skip_json_value(r, kMaxInitParamsBytes, spend)) {
        if (over_budget_ != nullptr) return;
      }
      if (r.ok()) query.app = std::move(app);
    } else if (constructor == ids::kInvokeAfterMsg) {
      // Queries run synchronously in arrival order, so the earlier one is already done.
      wrapper = "invokeAfterMsg";
      r.read_int64();
    } else if (constructor == ids::kInvokeAfterMsgs) {
      wrapper = "invokeAfterMsgs";
      uint32_t count = r.read_vector_header(8);
      r.skip(size_t(count) * 8);
    } else if (constructor == ids::kInvokeWithoutUpdates) {
      wrapper = "invokeWithoutUpdates";  // peeled only: the session still gets pushed updates
    } else if (constructor == ids::kGzipPacked && !inflated_once) {
      wrapper = "gzip_packed";
      ByteView packed = r.read_bytes();
      if (r.ok()) {
        auto buffer = std::make_unique<Bytes>();
        if (!inflate(packed, buffer.get())) {
          if (over_budget_ != nullptr) return;
          query.error = "GZIP_PACKED_INVALID";
          break;
        }
        inflated_once = true;
        rest = *buffer;
        buffers_.push_back(std::move(buffer));
        continue;
      }
    } else {
      break;
    }
    if (!r.ok()) {
      query.error = fmt::format("INPUT_REQUEST_INVALID: malformed {}", wrapper);
      break;
    }
    rest = r.rest();
  }
  query.method = rest;
  queries_.emplace_back(payload.data(), std::move(query));
}

}  // namespace mtedge::backend::embedded
