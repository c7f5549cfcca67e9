// api::fit: an object built by names takes each layer's shape (fields the layer lacks dropped,
// required ones filled with neutral values, vector elements the layer lacks left out).
#include "backend-adapters/embedded/api/answer.h"

#include <gtest/gtest.h>

namespace mtedge::backend::embedded::api {
namespace {

namespace tl = mtproto::tl;

const tl::SchemaSet& schemas() {
  static auto set = tl::SchemaSet::load_embedded().value();
  return *set;
}

TEST(EmbeddedAnswer, FitDropsFieldsTheLayerLacksAndFillsRequiredOnes) {
  tl::Object full("userFull");
  full.set("id", tl::Value::i64(5));
  full.set("personal_photo",
           tl::Value::object(tl::Object("photoEmpty").set("id", tl::Value::i64(1))));
  full.set("not_a_field", tl::Value::i32(1));
  for (int layer : {144, 228}) {
    SCOPED_TRACE(layer);
    auto fitted = fit(*schemas().layer(layer), full);
    ASSERT_TRUE(fitted.is_ok()) << fitted.message();
    EXPECT_EQ(fitted->get("not_a_field"), nullptr);
    EXPECT_EQ(fitted->get("id")->as_long(), 5);
    // Required objects get their type's constructor without required fields.
    EXPECT_EQ(fitted->get("settings")->as_object().name, "peerSettings");
    EXPECT_EQ(fitted->get("notify_settings")->as_object().name, "peerNotifySettings");
    EXPECT_EQ(fitted->get("common_chats_count")->as_int(), 0);
    // personal_photo exists from layer 151 on.
    EXPECT_EQ(fitted->get("personal_photo") != nullptr, layer == 228);
    auto bytes = serialize_fitted(*schemas().layer(layer), full);
    ASSERT_TRUE(bytes.is_ok()) << bytes.message();
    mtproto::TlReader r(bytes.value());
    auto parsed = tl::parse(*schemas().layer(layer), r, "UserFull");
    ASSERT_TRUE(parsed.is_ok()) << parsed.message();
    EXPECT_TRUE(r.at_end());
  }
}

TEST(EmbeddedAnswer, VectorElementsTheLayerLacksAreLeftOut) {
  tl::Object update("updateShortMessage");
  update.set("id", tl::Value::i32(1)).set("user_id", tl::Value::i64(2));
  update.set("message", tl::Value::str("x")).set("pts", tl::Value::i32(3));
  update.set("pts_count", tl::Value::i32(1)).set("date", tl::Value::i32(4));
  tl::Object bold("messageEntityBold");
  bold.set("offset", tl::Value::i32(0)).set("length", tl::Value::i32(1));
  tl::Object future("messageEntityFromTheFuture");
  future.set("offset", tl::Value::i32(0)).set("length", tl::Value::i32(1));
  update.set("entities", tl::Value::vector({tl::Value::object(bold), tl::Value::object(future)}));
  auto fitted = fit(*schemas().layer(144), update);
  ASSERT_TRUE(fitted.is_ok()) << fitted.message();
  ASSERT_EQ(fitted->get("entities")->as_vector().size(), 1u);
  EXPECT_EQ(fitted->get("entities")->as_vector()[0].as_object().name, "messageEntityBold");
}

TEST(EmbeddedAnswer, AConstructorTheLayerLacksIsAnError) {
  EXPECT_FALSE(fit(*schemas().layer(144), tl::Object("noSuchConstructor")).is_ok());
  // A required field whose value the layer cannot take is an error too.
  tl::Object resolved("contacts.resolvedPeer");
  resolved.set("peer", tl::Value::object(tl::Object("peerFromTheFuture")));
  EXPECT_FALSE(fit(*schemas().layer(144), resolved).is_ok());
}

}  // namespace
}  // namespace mtedge::backend::embedded::api
