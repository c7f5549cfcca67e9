#include "bench/load/report.h"

#include <cstdio>
#include <string_view>

namespace mtedge::bench {

namespace {

// Derived figures, shared by both formats.
struct Figures {
  double frames_per_s = 0;
  double mb_per_s = 0;  // request payload bytes per second, one way (10^6 bytes)
  double handshakes_per_s = 0;
  double client_cpu_pct = 0;
  bool watched = false;
  double watch_cpu_s = 0;
  double watch_cpu_us_per_frame = 0;
  double watch_cpu_us_per_handshake = 0;
  double watch_rss_per_conn = 0;
  double watch_rss_per_session = 0;  // messenger: RSS growth from signing in, per user
};

Figures figures(const LoadOptions& o, const LoadResult& r) {
  Figures f;
  const double w = r.window_s > 0 ? r.window_s : 1;
  f.frames_per_s = double(r.stats.frames) / w;
  f.mb_per_s = double(r.stats.bytes_sent) / w / 1e6;
  f.handshakes_per_s = double(r.stats.handshakes) / w;
  f.client_cpu_pct = 100.0 * r.client_cpu_s / w;
  f.watched = o.watch_pid && r.watch_before.ok && r.watch_after.ok;
  if (f.watched) {
    f.watch_cpu_s = r.watch_after.cpu_s - r.watch_before.cpu_s;
    if (r.stats.frames) f.watch_cpu_us_per_frame = f.watch_cpu_s * 1e6 / double(r.stats.frames);
    if (r.stats.handshakes)
      f.watch_cpu_us_per_handshake = f.watch_cpu_s * 1e6 / double(r.stats.handshakes);
    if (r.connections_established && r.watch_before.rss_bytes > r.watch_rss_baseline)
      f.watch_rss_per_conn = double(r.watch_before.rss_bytes - r.watch_rss_baseline) /
                             double(r.connections_established);
    if (r.connections_established && r.watch_rss_set_up > r.watch_rss_baseline)
      f.watch_rss_per_session =
          double(r.watch_rss_set_up - r.watch_rss_baseline) / double(r.connections_established);
  }
  return f;
}

std::string sizes_text(const LoadOptions& o) {
  std::string s;
  for (const SizeWeight& sw : o.sizes) {
    if (!s.empty()) s += ',';
    s += std::to_string(sw.size);
    if (o.sizes.size() > 1) s += ':' + std::to_string(sw.weight);
  }
  return s;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + '"';
}

std::string fmt(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

double us(uint64_t ns) {
  return double(ns) / 1e3;
}

}  // namespace

std::string format_text(const LoadOptions& o, const LoadResult& r) {
  const Figures f = figures(o, r);
  const LatencyHistogram& h = r.stats.latency;
  const bool messenger = o.mode == LoadMode::kMessenger;
  std::string s = "mtedge-load " + o.host + ":" + std::to_string(o.port) + " " +
                  o.transport.name() + " mode " + std::string(mode_name(o.mode)) + ", " +
                  (messenger ? std::to_string(o.pairs) + " pairs x " + std::to_string(o.inflight) +
                                   " messages in flight, text "
                             : std::to_string(o.connections) + " conns x " +
                                   std::to_string(o.inflight) + " in flight, size ") +
                  sizes_text(o) + ", " + fmt("%.1f", r.window_s) + " s measured\n";
  s += "  established " + std::to_string(r.connections_established) + "/" +
       std::to_string(o.connections) + (messenger ? " (signed-in users)" : "") + "\n";
  if (messenger) {
    s += "  messages delivered/s " + fmt("%.0f", f.frames_per_s) + " (end to end)\n";
    s += "  send->receive";
  } else {
    s += "  frames/s " + fmt("%.0f", f.frames_per_s) + "   MB/s " + fmt("%.2f", f.mb_per_s) +
         " (payload, each way)   handshakes/s " + fmt("%.1f", f.handshakes_per_s) + "\n";
  }
  s += std::string(messenger ? " " : "  ") + "latency us p50 " + fmt("%.1f", us(h.quantile(0.5))) +
       "  p99 " + fmt("%.1f", us(h.quantile(0.99))) + "  p99.9 " +
       fmt("%.1f", us(h.quantile(0.999))) + "  max " + fmt("%.1f", us(h.max())) + "\n";
  s += "  errors " + std::to_string(r.stats.error_count());
  for (const auto& [kind, count] : r.stats.errors)
    s += "  [" + kind + ": " + std::to_string(count) + "]";
  if (r.stats.salt_resends)
    s += std::string(messenger ? "  (queries" : "  (pings") +
         " resent after bad_server_salt: " + std::to_string(r.stats.salt_resends) + ")";
  s += "\n  client cpu " + fmt("%.0f", f.client_cpu_pct) + " %\n";
  if (f.watched) {
    s += "  pid " + std::to_string(o.watch_pid) + ": cpu " + fmt("%.2f", f.watch_cpu_s) + " s";
    if (r.stats.frames)
      s += ", " + fmt("%.2f", f.watch_cpu_us_per_frame) +
           (messenger ? " us per delivered message" : " us per frame");
    if (r.stats.handshakes)
      s += ", " + fmt("%.0f", f.watch_cpu_us_per_handshake) + " us per handshake";
    s += ", rss " + fmt("%.1f", double(r.watch_before.rss_bytes) / 1048576.0) + " MiB";
    if (o.mode == LoadMode::kIdle)
      s += " (" + fmt("%.0f", f.watch_rss_per_conn) + " B per idle connection over a " +
           fmt("%.1f", double(r.watch_rss_baseline) / 1048576.0) + " MiB baseline)";
    if (messenger)
      s += " (" + fmt("%.0f", f.watch_rss_per_session) + " B per idle signed-in session over a " +
           fmt("%.1f", double(r.watch_rss_baseline) / 1048576.0) + " MiB baseline)";
    s += "\n";
  }
  return s;
}

std::string format_json(const LoadOptions& o, const LoadResult& r) {
  const Figures f = figures(o, r);
  const LatencyHistogram& h = r.stats.latency;
  std::string s = "{\n";
  auto field = [&s](std::string_view name, const std::string& value) {
    s += "  " + json_string(name) + ": " + value + ",\n";
  };
  field("target", json_string(o.host + ":" + std::to_string(o.port)));
  field("transport", json_string(o.transport.name()));
  field("mode", json_string(mode_name(o.mode)));
  field("connections", std::to_string(o.connections));
  if (o.mode == LoadMode::kMessenger) field("pairs", std::to_string(o.pairs));
  field("inflight", std::to_string(o.inflight));
  field("sizes", json_string(sizes_text(o)));
  field("connections_established", std::to_string(r.connections_established));
  field("window_s", fmt("%.3f", r.window_s));
  field("frames", std::to_string(r.stats.frames));
  field("frames_per_s", fmt("%.1f", f.frames_per_s));
  field("mb_per_s", fmt("%.3f", f.mb_per_s));
  field("bytes_received", std::to_string(r.stats.bytes_received));
  field("handshakes", std::to_string(r.stats.handshakes));
  field("handshakes_per_s", fmt("%.2f", f.handshakes_per_s));
  field("latency_us", "{\"p50\": " + fmt("%.2f", us(h.quantile(0.5))) +
                          ", \"p99\": " + fmt("%.2f", us(h.quantile(0.99))) +
                          ", \"p99_9\": " + fmt("%.2f", us(h.quantile(0.999))) +
                          ", \"max\": " + fmt("%.2f", us(h.max())) +
                          ", \"mean\": " + fmt("%.2f", h.mean() / 1e3) + "}");
  std::string errors = "{";
  for (const auto& [kind, count] : r.stats.errors) {
    if (errors.size() > 1) errors += ", ";
    errors += json_string(kind) + ": " + std::to_string(count);
  }
  field("errors", errors + "}");
  field("salt_resends", std::to_string(r.stats.salt_resends));
  field("client_cpu_pct", fmt("%.1f", f.client_cpu_pct));
  if (f.watched) {
    field("watch", "{\"pid\": " + std::to_string(o.watch_pid) +
                       ", \"cpu_s\": " + fmt("%.3f", f.watch_cpu_s) +
                       ", \"cpu_us_per_frame\": " + fmt("%.3f", f.watch_cpu_us_per_frame) +
                       ", \"cpu_us_per_handshake\": " + fmt("%.1f", f.watch_cpu_us_per_handshake) +
                       ", \"rss_bytes\": " + std::to_string(r.watch_before.rss_bytes) +
                       ", \"rss_baseline_bytes\": " + std::to_string(r.watch_rss_baseline) +
                       ", \"rss_per_connection_bytes\": " + fmt("%.0f", f.watch_rss_per_conn) +
                       ", \"rss_set_up_bytes\": " + std::to_string(r.watch_rss_set_up) +
                       ", \"rss_per_session_bytes\": " + fmt("%.0f", f.watch_rss_per_session) +
                       "}");
  }
  s += "  \"error_count\": " + std::to_string(r.stats.error_count()) + "\n}\n";
  return s;
}

}  // namespace mtedge::bench
