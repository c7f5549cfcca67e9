// TL schema engine: parsing .tl text, per-layer registries, Value serialize/parse.
#include "mtproto/tl/schema.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mtproto/tl/schema_embedded.h"
#include "mtproto/tl/schema_value.h"

namespace mtedge::mtproto::tl {
namespace {

std::shared_ptr<const SchemaSet> embedded() {
  static auto set = [] {
    auto r = SchemaSet::load_embedded();
    EXPECT_TRUE(r.is_ok()) << (r ? "" : r.message());
    return r.value();
  }();
  return set;
}

Bytes write_object(const Schema& s, const Object& o) {
  Bytes out;
  TlWriter w(out);
  auto st = serialize_object(s, o, w);
  EXPECT_TRUE(st.is_ok()) << (st ? "" : st.message());
  return out;
}

Value parse_ok(const Schema& s, ByteView bytes, std::string_view type) {
  TlReader r(bytes);
  auto v = parse(s, r, type);
  EXPECT_TRUE(v.is_ok()) << (v ? "" : v.message());
  EXPECT_TRUE(r.at_end());
  return v ? v.value() : Value();
}

TEST(TlSchema, EmbeddedFilesArePresent) {
  auto files = embedded_schema_files();
  ASSERT_EQ(files.size(), 5u);
  for (const auto& f : files) EXPECT_GT(f.text.size(), 1000u) << f.name;
}

TEST(TlSchema, LoadsAllLayers) {
  auto set = embedded();
  EXPECT_EQ(set->layers(), (std::vector<int>{144, 193, 228}));
  for (int layer : set->layers()) {
    const Schema* s = set->layer(layer);
    ASSERT_NE(s, nullptr);
    EXPECT_GT(s->size(), 1000u) << layer;
    // Service combinators are in every layer.
    ASSERT_NE(s->by_name("req_pq_multi"), nullptr);
    EXPECT_EQ(s->by_name("req_pq_multi")->id, 0xbe7e8ef1u);
    EXPECT_TRUE(s->by_name("req_pq_multi")->is_function);
    ASSERT_NE(s->by_id(0xa9f55f95), nullptr);
    EXPECT_EQ(s->by_id(0xa9f55f95)->name, "p_q_inner_data_dc");
    ASSERT_NE(s->by_name("p_q_inner_data_temp_dc"), nullptr);  // from mtproto-tdlib.tl
  }
  EXPECT_NE(set->service().by_name("msgs_ack"), nullptr);
  EXPECT_EQ(set->service().by_name("config"), nullptr);
}

TEST(TlSchema, ConfigHasDifferentIdsPerLayer) {
  auto set = embedded();
  EXPECT_EQ(set->layer(144)->by_name("config")->id, 0x330b4067u);
  EXPECT_EQ(set->layer(193)->by_name("config")->id, 0xcc1a241eu);
  EXPECT_EQ(set->layer(228)->by_name("help.getConfig")->id, 0xc4f9186bu);
  EXPECT_EQ(set->layer(144)->by_id(0xcc1a241e), nullptr);
}

TEST(TlSchema, PickLayer) {
  auto set = embedded();
  EXPECT_EQ(set->pick_layer(144), 144);
  EXPECT_EQ(set->pick_layer(150), 144);
  EXPECT_EQ(set->pick_layer(193), 193);
  EXPECT_EQ(set->pick_layer(227), 193);
  EXPECT_EQ(set->pick_layer(400), 228);
  EXPECT_EQ(set->pick_layer(100), 144);  // older than all shipped: the oldest
  EXPECT_EQ(set->for_client_layer(200), set->layer(193));
}

TEST(TlSchema, LoadDirectoryMatchesEmbedded) {
  auto dir = SchemaSet::load_directory(MTEDGE_SCHEMA_DIR);
  ASSERT_TRUE(dir.is_ok()) << dir.message();
  for (int layer : {144, 193, 228})
    EXPECT_EQ(dir.value()->layer(layer)->size(), embedded()->layer(layer)->size());
  EXPECT_FALSE(SchemaSet::load_directory("/nonexistent-dir").is_ok());
}

TEST(TlSchema, ParsesSyntaxVariants) {
  Schema s;
  std::vector<ParseNote> notes;
  auto st = parse_schema_text(R"(
// comment
int ? = Int;
vector {t:Type} # [ t ] = Vector t;
int128 4*[ int ] = Int128;
boolFalse#bc799737 = Bool;
boolTrue#997275b5 = Bool;
true#3fedd339 = True;
item#11111111 flags:# a:flags.0?int b:flags.1?true c:flags.2?Vector<long> d:string = Item;
bare_thing x:int = BareThing;
holder#22222222 items:vector<bare_thing> pct:vector<%BareThing> = Holder;
multi#33333333 a:int
  b:long = Multi;
broken#zz a:int = X;
---functions---
doIt#44444444 {X:Type} n:int query:!X = X;
getItem#55555555 id:int = Item;
)",
                              s, &notes);
  ASSERT_TRUE(st.is_ok());
  ASSERT_NE(s.by_name("item"), nullptr);
  const Combinator& item = *s.by_name("item");
  ASSERT_EQ(item.params.size(), 5u);
  EXPECT_TRUE(item.params[0].is_flags);
  EXPECT_EQ(item.params[2].cond_bit, 1);
  EXPECT_EQ(item.params[2].type.name, "true");
  EXPECT_EQ(item.params[3].type.to_string(), "Vector<long>");
  EXPECT_TRUE(s.by_name("bare_thing")->id_inferred);
  EXPECT_EQ(s.by_name("holder")->params[1].type.params[0].to_string(), "%BareThing");
  EXPECT_EQ(s.by_name("multi")->params.size(), 2u);
  EXPECT_TRUE(s.by_name("doIt")->is_function);
  EXPECT_EQ(s.by_name("doIt")->generics, std::vector<std::string>{"X"});
  EXPECT_TRUE(s.by_name("doIt")->params[1].type.generic_query);
  EXPECT_EQ(s.by_name("broken"), nullptr);
  EXPECT_EQ(s.by_name("int"), nullptr);
  EXPECT_GE(notes.size(), 4u);  // int, vector, int128, broken
  ASSERT_NE(s.constructors_of("Bool"), nullptr);
  EXPECT_EQ(s.constructors_of("Bool")->size(), 2u);

  Schema empty;
  EXPECT_FALSE(parse_schema_text("// nothing here\n", empty, nullptr).is_ok());
}

// The CRC32 rule gives the official id for declarations that carry one.
TEST(TlSchema, InferredIdsMatchExplicitIds) {
  std::ifstream in(std::string(MTEDGE_SCHEMA_DIR) + "/api-layer144.tl");
  std::string line;
  int checked = 0, matched = 0;
  while (std::getline(in, line)) {
    if (line.starts_with("//") || line.find('#') == std::string::npos ||
        line.find(" ? ") != std::string::npos)
      continue;
    size_t hash = line.find('#');
    size_t space = line.find(' ');
    if (space == std::string::npos || hash > space) continue;
    uint32_t id =
        static_cast<uint32_t>(std::stoul(line.substr(hash + 1, space - hash - 1), nullptr, 16));
    std::string without = line.substr(0, hash) + line.substr(space);
    if (line.find("{t:Type}") != std::string::npos) continue;  // vector: builtin
    ++checked;
    if (infer_constructor_id(without) == id) ++matched;
  }
  EXPECT_GT(checked, 1400);
  EXPECT_EQ(matched, checked);
  EXPECT_EQ(infer_constructor_id("req_pq_multi nonce:int128 = ResPQ;"), 0xbe7e8ef1u);
  EXPECT_EQ(infer_constructor_id("rsa_public_key n:string e:string = RSAPublicKey"), 0x7a19cb76u);
}

Object make_config(bool with_optional) {
  Object dc("dcOption");
  dc.set("id", Value::i32(2))
      .set("ip_address", Value::str("127.0.0.1"))
      .set("port", Value::i32(443));
  Object o("config");
  o.set("date", Value::i32(1700000000))
      .set("expires", Value::i32(1700003600))
      .set("test_mode", Value::boolean(false))
      .set("this_dc", Value::i32(2))
      .set("dc_options", Value::vector({Value::object(dc)}))
      .set("dc_txt_domain_name", Value::str("example.com"))
      .set("me_url_prefix", Value::str("https://t.me/"));
  for (const char* f : {"chat_size_max",
                        "megagroup_size_max",
                        "forwarded_count_max",
                        "online_update_period_ms",
                        "offline_blur_timeout_ms",
                        "offline_idle_timeout_ms",
                        "online_cloud_timeout_ms",
                        "notify_cloud_delay_ms",
                        "notify_default_delay_ms",
                        "push_chat_period_ms",
                        "push_chat_limit",
                        "saved_gifs_limit",
                        "edit_time_limit",
                        "revoke_time_limit",
                        "revoke_pm_time_limit",
                        "rating_e_decay",
                        "stickers_recent_limit",
                        "stickers_faved_limit",
                        "channels_read_media_period",
                        "pinned_dialogs_count_max",
                        "pinned_infolder_count_max",
                        "call_receive_timeout_ms",
                        "call_ring_timeout_ms",
                        "call_connect_timeout_ms",
                        "call_packet_timeout_ms",
                        "caption_length_max",
                        "message_length_max",
                        "webfile_dc_id"})
    o.set(f, Value::i32(7));
  if (with_optional) {
    o.set("tmp_sessions", Value::i32(3));
    o.set("revoke_pm_inbox", Value::boolean(true));
    o.set("suggested_lang_code", Value::str("en"));
    o.set("lang_pack_version", Value::i32(1));
    o.set("base_lang_pack_version", Value::i32(1));
  }
  return o;
}

TEST(TlSchema, ConfigSerializesPerLayer) {
  auto set = embedded();
  Object cfg = make_config(true);
  Bytes b144 = write_object(*set->layer(144), cfg);
  Bytes b193 = write_object(*set->layer(193), cfg);
  ASSERT_GE(b144.size(), 8u);
  ASSERT_GE(b193.size(), 8u);
  EXPECT_EQ(load_le32(b144.data()), 0x330b4067u);
  EXPECT_EQ(load_le32(b193.data()), 0xcc1a241eu);
  // flags: tmp_sessions (0), suggested_lang_code & co (2), revoke_pm_inbox (6).
  EXPECT_EQ(load_le32(b144.data() + 4), (1u << 0) | (1u << 2) | (1u << 6));
  EXPECT_NE(b144.size(), b193.size());  // layer 193 dropped some fields

  // Round trip through the parser.
  Value back = parse_ok(*set->layer(144), b144, "Config");
  ASSERT_EQ(back.kind(), Value::Kind::kObject);
  EXPECT_EQ(back.as_object().name, "config");
  EXPECT_EQ(back.as_object().get("tmp_sessions")->as_int(), 3);
  EXPECT_TRUE(back.as_object().get("revoke_pm_inbox")->as_bool());
  EXPECT_EQ(back.as_object().get("phonecalls_enabled"), nullptr);
  EXPECT_EQ(back.as_object().get("dc_txt_domain_name")->as_string(), "example.com");
  const auto& dcs = back.as_object().get("dc_options")->as_vector();
  ASSERT_EQ(dcs.size(), 1u);
  EXPECT_EQ(dcs[0].as_object().get("ip_address")->as_string(), "127.0.0.1");
  // Re-serializing the parsed value gives the same bytes.
  Bytes again;
  TlWriter w(again);
  ASSERT_TRUE(serialize(*set->layer(144), back, "Config", w).is_ok());
  EXPECT_EQ(again, b144);

  Bytes minimal = write_object(*set->layer(144), make_config(false));
  EXPECT_EQ(load_le32(minimal.data() + 4), 0u);
}

TEST(TlSchema, MissingFieldIsAnErrorAndWritesNothing) {
  auto set = embedded();
  Object cfg = make_config(false);
  cfg.fields.erase(cfg.fields.begin());  // drop "date"
  Bytes out{1, 2, 3};
  TlWriter w(out);
  auto st = serialize_object(*set->layer(144), cfg, w);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("date"), std::string::npos);
  EXPECT_EQ(out, (Bytes{1, 2, 3}));
  Object unknown("noSuchConstructor");
  EXPECT_FALSE(serialize_object(*set->layer(144), unknown, w).is_ok());
  // Wrong type for a boxed field.
  Object bad = make_config(false);
  bad.set("test_mode", Value::i32(1));
  EXPECT_FALSE(serialize_object(*set->layer(144), bad, w).is_ok());
}

TEST(TlSchema, GenericQueryAndBareVectors) {
  auto set = embedded();
  const Schema& s = *set->layer(144);
  Object get_config("help.getConfig");
  Object init("initConnection");
  init.set("api_id", Value::i32(1))
      .set("device_model", Value::str("pc"))
      .set("system_version", Value::str("linux"))
      .set("app_version", Value::str("1.0"))
      .set("system_lang_code", Value::str("en"))
      .set("lang_pack", Value::str(""))
      .set("lang_code", Value::str("en"))
      .set("query", Value::object(get_config));
  Object invoke("invokeWithLayer");
  invoke.set("layer", Value::i32(144)).set("query", Value::object(init));
  Bytes bytes = write_object(s, invoke);
  EXPECT_EQ(load_le32(bytes.data()), 0xda9b0d0du);
  Value back = parse_ok(s, bytes, "Object");
  const Object& inner = back.as_object().get("query")->as_object();
  EXPECT_EQ(inner.name, "initConnection");
  EXPECT_EQ(inner.get("query")->as_object().name, "help.getConfig");

  // future_salts carries a bare vector of bare future_salt.
  Object salt("future_salt");
  salt.set("valid_since", Value::i32(1))
      .set("valid_until", Value::i32(2))
      .set("salt", Value::i64(3));
  Object salts("future_salts");
  salts.set("req_msg_id", Value::i64(10))
      .set("now", Value::i32(5))
      .set("salts", Value::vector({Value::object(salt), Value::object(salt)}));
  Bytes sb = write_object(s, salts);
  // id + req_msg_id + now + count + 2 * 16, no vector id
  ASSERT_EQ(sb.size(), 4u + 8 + 4 + 4 + 2 * 16);
  EXPECT_EQ(load_le32(sb.data() + 16), 2u);
  Value sback = parse_ok(s, sb, "FutureSalts");
  EXPECT_EQ(sback.as_object().get("salts")->as_vector()[1].as_object().get("salt")->as_long(), 3);

  // Primitive types by name.
  Bytes vb;
  TlWriter w(vb);
  ASSERT_TRUE(
      serialize(s, Value::vector({Value::i64(1), Value::i64(2)}), "Vector<long>", w).is_ok());
  EXPECT_EQ(vb.size(), 8u + 16);
  Value vback = parse_ok(s, vb, "Vector<long>");
  EXPECT_EQ(vback.as_vector()[1].as_long(), 2);
}

TEST(TlSchema, ParseRejectsBadInput) {
  auto set = embedded();
  const Schema& s = *set->layer(144);
  Bytes cfg = write_object(s, make_config(true));
  // Every truncation fails cleanly.
  for (size_t n = 0; n < cfg.size(); ++n) {
    TlReader r(ByteView(cfg).first(n));
    EXPECT_FALSE(parse(s, r, "Config").is_ok()) << n;
  }
  // Unknown constructor id.
  Bytes unknown = {0xde, 0xad, 0xbe, 0xef};
  TlReader r1(unknown);
  EXPECT_FALSE(parse(s, r1, "Object").is_ok());
  // A constructor of another type.
  Bytes pong;
  TlWriter w(pong);
  Object p("pong");
  p.set("msg_id", Value::i64(1)).set("ping_id", Value::i64(2));
  ASSERT_TRUE(serialize_object(s, p, w).is_ok());
  TlReader r2(pong);
  EXPECT_FALSE(parse(s, r2, "Config").is_ok());
  TlReader r3(pong);
  EXPECT_TRUE(parse(s, r3, "Pong").is_ok());
  // A lying vector count.
  Bytes lying = {0x15, 0xc4, 0xb5, 0x1c, 0xff, 0xff, 0xff, 0x7f, 1, 0, 0, 0};
  TlReader r4(lying);
  EXPECT_FALSE(parse(s, r4, "Vector<int>").is_ok());
}

TEST(TlSchema, DepthAndNodeLimits) {
  auto set = embedded();
  const Schema& s = *set->layer(144);
  // invokeWithoutUpdates nested 100 deep around help.getConfig.
  Bytes deep;
  for (int i = 0; i < 100; ++i) append_le32(deep, 0xbf9459b7);
  append_le32(deep, 0xc4f9186b);
  TlReader r(deep);
  auto v = parse(s, r, "Object");
  ASSERT_FALSE(v.is_ok());
  EXPECT_NE(v.message().find("deep"), std::string::npos);
  TlReader r2(deep);
  ParseLimits generous;
  generous.max_depth = 500;
  EXPECT_TRUE(parse(s, r2, "Object", generous).is_ok());

  Bytes many;
  TlWriter w(many);
  w.write_vector_header(1000);
  for (int i = 0; i < 1000; ++i) w.write_int32(i);
  ParseLimits small;
  small.max_nodes = 100;
  TlReader r3(many);
  EXPECT_FALSE(parse(s, r3, "Vector<int>", small).is_ok());
}

// Writes the seed corpus of fuzz target mtproto_tl_schema when MTEDGE_WRITE_CORPUS is set.
TEST(TlSchema, CorpusSeeds) {
  const char* root = std::getenv("MTEDGE_WRITE_CORPUS");
  const Schema& s = *embedded()->layer(144);
  Object get_config("help.getConfig");
  Object invoke("invokeWithLayer");
  invoke.set("layer", Value::i32(144)).set("query", Value::object(get_config));
  Object salt("future_salt");
  salt.set("valid_since", Value::i32(1))
      .set("valid_until", Value::i32(2))
      .set("salt", Value::i64(3));
  Object salts("future_salts");
  salts.set("req_msg_id", Value::i64(10))
      .set("now", Value::i32(5))
      .set("salts", Value::vector({Value::object(salt)}));
  std::vector<std::pair<const char*, Bytes>> seeds = {
      {"config_144", write_object(s, make_config(true))},
      {"config_144_min", write_object(s, make_config(false))},
      {"invoke_with_layer", write_object(s, invoke)},
      {"future_salts", write_object(s, salts)},
  };
  Bytes longs;
  TlWriter w(longs);
  ASSERT_TRUE(
      serialize(s, Value::vector({Value::i64(1), Value::i64(-1)}), "Vector<long>", w).is_ok());
  seeds.emplace_back("vector_long", longs);
  for (const auto& [name, bytes] : seeds) {
    EXPECT_FALSE(bytes.empty());
    if (!root) continue;
    std::filesystem::path dir = std::filesystem::path(root) / "mtproto_tl_schema";
    std::filesystem::create_directories(dir);
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
}

}  // namespace
}  // namespace mtedge::mtproto::tl
