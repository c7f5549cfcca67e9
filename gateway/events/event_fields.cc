#include "gateway/events/event_fields.h"

namespace mtedge::gateway::events {
namespace {

Fields header(EventType type, const Origin& origin, uint64_t unix_ms) {
  return {{"v", std::string(kSchemaVersion)},
          {"type", event_type_name(type)},
          {"gateway", origin.gateway_id},
          {"worker", std::to_string(origin.worker)},
          {"ts_ms", std::to_string(unix_ms)}};
}

void add_connection(Fields& f, const ConnectionFacts& conn) {
  f.emplace_back("conn", std::to_string(conn.conn_id));
  f.emplace_back("listener", conn.listener);
  f.emplace_back("client", conn.client);
  f.emplace_back("proxied", conn.proxied ? "1" : "0");
  f.emplace_back("tls", conn.tls ? "1" : "0");
  if (!conn.transport.empty()) f.emplace_back("transport", conn.transport);
  if (!conn.secret.empty()) f.emplace_back("secret", conn.secret);
  if (conn.dc) f.emplace_back("dc", std::to_string(*conn.dc));
}

}  // namespace

const char* event_type_name(EventType type) {
  switch (type) {
    case EventType::kConnectionOpened: return "connection_opened";
    case EventType::kConnectionClosed: return "connection_closed";
    case EventType::kCounters: return "counters";
  }
  return "unknown";
}

Fields connection_opened(const Origin& origin, uint64_t unix_ms, const ConnectionFacts& conn) {
  Fields f = header(EventType::kConnectionOpened, origin, unix_ms);
  add_connection(f, conn);
  return f;
}

Fields connection_closed(const Origin& origin, uint64_t unix_ms, const ConnectionFacts& conn,
                         const CloseFacts& close) {
  Fields f = header(EventType::kConnectionClosed, origin, unix_ms);
  add_connection(f, conn);
  f.emplace_back("bytes_in", std::to_string(close.bytes_in));
  f.emplace_back("bytes_out", std::to_string(close.bytes_out));
  f.emplace_back("duration_ms", std::to_string(close.duration_ms));
  f.emplace_back("reason", std::string(close.reason));
  f.emplace_back("authenticated", close.authenticated ? "1" : "0");
  return f;
}

Fields counters(const Origin& origin, uint64_t unix_ms, const MetricsSnapshot& m) {
  Fields f = header(EventType::kCounters, origin, unix_ms);
  auto add = [&f](std::string name, uint64_t value) {
    f.emplace_back(std::move(name), std::to_string(value));
  };
  add("accepted", m.accepted);
  add("active", m.active);
  add("closed", m.closed_total());
  for (size_t i = 0; i < m.closed.size(); ++i) {
    add(std::string("closed.") + backend::close_reason_name(static_cast<backend::CloseReason>(i)),
        m.closed[i]);
  }
  add("rejected.max_connections", m.rejected_max_connections);
  add("rejected.per_source", m.rejected_per_source);
  add("rejected.memory", m.rejected_memory);
  add("rejected.proxy_untrusted", m.rejected_proxy_untrusted);
  add("evicted.unauthenticated", m.evicted_unauthenticated);
  add("frames_in", m.frames_in);
  add("frames_out", m.frames_out);
  add("bytes_in", m.bytes_in);
  add("bytes_out", m.bytes_out);
  add("events_written", m.events_written);
  for (size_t i = 0; i < m.events_dropped.size(); ++i) {
    add(std::string("events_dropped.") + event_drop_name(static_cast<EventDrop>(i)),
        m.events_dropped[i]);
  }
  return f;
}

redis::Args xadd_args(std::string_view stream, uint64_t maxlen, const Fields& fields) {
  redis::Args args;
  args.reserve(6 + 2 * fields.size());
  args.emplace_back("XADD");
  args.emplace_back(stream);
  args.emplace_back("MAXLEN");
  args.emplace_back("~");
  args.emplace_back(std::to_string(maxlen));
  args.emplace_back("*");
  for (const auto& [field, value] : fields) {
    args.push_back(field);
    args.push_back(value);
  }
  return args;
}

}  // namespace mtedge::gateway::events
