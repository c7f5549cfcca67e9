// help.getConfig and help.getNearestDc: this DC and the gateway's advertised address.

#include <array>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>

#include "backend-adapters/embedded/api/answer.h"
#include "backend-adapters/embedded/api/dispatcher.h"
#include "mtproto/tl/schema_value.h"

namespace mtedge::backend::embedded::api {
namespace {

namespace tl = mtproto::tl;

// Limits advertised in `config` (the values Telegram's production DCs announce, rounded).
// Fields a layer has that are not listed get a neutral default from their type.
std::map<std::string, tl::Value, std::less<>> config_values(const EmbeddedConfig& config,
                                                            double now) {
  auto i = [](int32_t v) { return tl::Value::i32(v); };
  auto s = [](std::string v) { return tl::Value::str(std::move(v)); };
  int32_t date = static_cast<int32_t>(now);
  tl::Object option("dcOption");
  if (config.advertised_ipv6) option.set("ipv6", tl::Value::boolean(true));
  option.set("id", i(config.this_dc));
  option.set("ip_address", s(config.advertised_ip));
  option.set("port", i(config.advertised_port));
  return {
      {"date", i(date)},
      {"expires", i(date + 3600)},
      {"test_mode", tl::Value::boolean(config.test_mode)},
      {"this_dc", i(config.this_dc)},
      {"dc_options", tl::Value::vector({tl::Value::object(std::move(option))})},
      {"dc_txt_domain_name", s("")},
      {"chat_size_max", i(200)},
      {"megagroup_size_max", i(200000)},
      {"forwarded_count_max", i(100)},
      {"online_update_period_ms", i(210000)},
      {"offline_blur_timeout_ms", i(5000)},
      {"offline_idle_timeout_ms", i(30000)},
      {"online_cloud_timeout_ms", i(300000)},
      {"notify_cloud_delay_ms", i(30000)},
      {"notify_default_delay_ms", i(1500)},
      {"push_chat_period_ms", i(60000)},
      {"push_chat_limit", i(2)},
      {"saved_gifs_limit", i(200)},
      {"edit_time_limit", i(172800)},
      {"revoke_time_limit", i(2147483647)},
      {"revoke_pm_time_limit", i(2147483647)},
      {"rating_e_decay", i(2419200)},
      {"stickers_recent_limit", i(200)},
      {"stickers_faved_limit", i(5)},
      {"channels_read_media_period", i(604800)},
      {"pinned_dialogs_count_max", i(5)},
      {"pinned_infolder_count_max", i(100)},
      {"call_receive_timeout_ms", i(20000)},
      {"call_ring_timeout_ms", i(90000)},
      {"call_connect_timeout_ms", i(30000)},
      {"call_packet_timeout_ms", i(10000)},
      {"me_url_prefix", s("https://t.me/")},
      {"caption_length_max", i(1024)},
      {"message_length_max", i(4096)},
      {"webfile_dc_id", i(config.this_dc)},
  };
}

// `constructor` of the caller's layer with `values` (fields that layer lacks are dropped,
// required ones not given get a neutral value: api::fit).
Bytes build(const CallContext& context, std::string_view constructor,
            const std::map<std::string, tl::Value, std::less<>>& values) {
  tl::Object object{std::string(constructor)};
  for (const auto& [name, value] : values) object.set(name, value);
  return answer(context, object);
}

// help.getConfig's answer depends only on the layer and the second (`date`): one built is
// reused within its second (a packet may ask for it 1024 times; building costs microseconds).
class ConfigAnswers {
 public:
  explicit ConfigAnswers(EmbeddedConfig config) : config_(std::move(config)) {}

  Bytes get(const CallContext& context) {
    const auto date = static_cast<int32_t>(context.now);
    {
      std::lock_guard lock(mu_);
      for (const Entry& e : entries_) {
        if (e.schema == context.schema && e.date == date) return e.answer;
      }
    }
    Bytes answer = build(context, "config", config_values(config_, context.now));
    std::lock_guard lock(mu_);
    entries_[next_++ % entries_.size()] = Entry{context.schema, date, answer};
    return answer;
  }

 private:
  struct Entry {
    const tl::Schema* schema = nullptr;
    int32_t date = 0;
    Bytes answer;
  };
  const EmbeddedConfig config_;
  std::mutex mu_;
  std::array<Entry, 4> entries_;  // a few layers answered in the same second
  size_t next_ = 0;
};

}  // namespace

void add_help_methods(Dispatcher& dispatcher) {
  const EmbeddedConfig config = dispatcher.config();
  auto answers = std::make_shared<ConfigAnswers>(config);
  dispatcher.add("help.getConfig",
                 [answers](const CallContext& context, ByteView) { return answers->get(context); });
  dispatcher.add("help.getNearestDc", [config](const CallContext& context, ByteView) {
    return build(context, "nearestDc",
                 {{"country", tl::Value::str("")},
                  {"this_dc", tl::Value::i32(config.this_dc)},
                  {"nearest_dc", tl::Value::i32(config.this_dc)}});
  });
}

}  // namespace mtedge::backend::embedded::api
