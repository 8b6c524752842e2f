// App SQL against a real PostgreSQL: apps with catalogs, updates, secret rotation,
// nonces. (Their purge: housekeeping_store_test.cpp.)
#include "storage/app_store.hpp"

#include "storage/store_fixture.hpp"

namespace unipay::storage::test {
namespace {

class AppStoreTest : public StoreTest {
 protected:
  std::optional<App> app(const std::string& app_id) { return parse_app(run(select_app(app_id))); }
  std::vector<CatalogItem> catalog(const std::string& app_id) {
    return parse_catalog(run(select_catalog(app_id)));
  }
  Result<std::vector<Rows>> write(std::vector<Statement> statements) {
    return write_sync(*db_, std::move(statements));
  }
  bool fresh_nonce(const std::string& app_id, const std::string& nonce) {
    return write_one(insert_nonce(app_id, nonce, 600)).size() == 1;
  }
};

// "item:amount:currency:coins,..." so a whole catalog compares in one expectation.
std::string describe(const std::vector<CatalogItem>& items) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += ",";
    out +=
        i.item_id + ":" + std::to_string(i.amount_minor) + ":" + i.currency + ":" + std::to_string(i.coins);
  }
  return out;
}

// What insert_app writes, select_app and the catalog selects read back; times are RFC 3339.
TEST_F(AppStoreTest, InsertThenSelectRoundTrips) {
  App in;
  in.app_id = "game-7";
  in.name = "Game Seven";
  in.delivery_url = "https://seven.example/deliver?x=1";
  in.channels_json = R"({"sandbox": {"secret": "s3cr3t"}})";  // jsonb's own output form
  in.secrets = {"0123abcd"};
  ASSERT_TRUE(write(insert_app(in, {{"gems", 499, "USD", 50}, {"vip", 999, "EUR", 0}})).ok());

  auto out = app("game-7");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->app_id, in.app_id);
  EXPECT_EQ(out->name, in.name);
  EXPECT_EQ(out->delivery_url, in.delivery_url);
  EXPECT_EQ(out->channels_json, in.channels_json);
  EXPECT_EQ(out->secrets, std::vector<std::string>{"0123abcd"});
  EXPECT_TRUE(parse_rfc3339(out->created_at)) << out->created_at;
  EXPECT_EQ(out->created_at.size(), 24u) << "milliseconds and Z: " << out->created_at;
  EXPECT_EQ(describe(catalog("game-7")), "gems:499:USD:50,vip:999:EUR:0");
  auto vip = parse_catalog_item(run(select_catalog_item("game-7", "vip")));
  ASSERT_TRUE(vip);
  EXPECT_EQ(describe({*vip}), "vip:999:EUR:0");
  EXPECT_FALSE(parse_catalog_item(run(select_catalog_item("game-7", "nope"))));
  EXPECT_FALSE(app("unknown"));
}

// Only the given fields change; a given catalog replaces the old one whole; an unknown
// app answers no row and the op still succeeds without writing anything.
TEST_F(AppStoreTest, UpdateChangesOnlyWhatIsGiven) {
  auto before = app(app_id_);
  auto renamed = write(update_app(app_id_, "Renamed", std::nullopt, std::nullopt, std::nullopt));
  ASSERT_TRUE(renamed.ok());
  EXPECT_EQ(renamed->at(0).size(), 1u);
  auto after = app(app_id_);
  EXPECT_EQ(after->name, "Renamed");
  EXPECT_EQ(after->delivery_url, before->delivery_url);
  EXPECT_EQ(after->channels_json, before->channels_json);

  std::vector<CatalogItem> items{{"a", 1, "USD", 0}, {"b", 2, "USD", 3}};
  ASSERT_TRUE(write(update_app(app_id_, std::nullopt, "https://new.example/d",
                               R"({"stripe": {"secret_key": "k"}})", items))
                  .ok());
  after = app(app_id_);
  EXPECT_EQ(after->name, "Renamed");
  EXPECT_EQ(after->delivery_url, "https://new.example/d");
  EXPECT_EQ(after->channels_json, R"({"stripe": {"secret_key": "k"}})");
  EXPECT_EQ(describe(catalog(app_id_)), "a:1:USD:0,b:2:USD:3");
  ASSERT_TRUE(write(update_app(app_id_, std::nullopt, std::nullopt, std::nullopt,
                               std::vector<CatalogItem>{{"c", 5, "JPY", 0}}))
                  .ok());
  EXPECT_EQ(describe(catalog(app_id_)), "c:5:JPY:0");

  auto unknown = write(update_app("ghost", "x", std::nullopt, std::nullopt, items));
  ASSERT_TRUE(unknown.ok()) << unknown.error().message;
  EXPECT_TRUE(unknown->at(0).empty());
  EXPECT_TRUE(catalog("ghost").empty());
}

// Rotation keeps exactly the current and the previous secret, newest first.
TEST_F(AppStoreTest, RotationKeepsTwoGenerations) {
  EXPECT_EQ(write_one(rotate_secret(app_id_, "s2")).size(), 1u);
  EXPECT_EQ(app(app_id_)->secrets, (std::vector<std::string>{"s2", "secret-app1"}));
  EXPECT_EQ(write_one(rotate_secret(app_id_, "s3")).size(), 1u);
  EXPECT_EQ(app(app_id_)->secrets, (std::vector<std::string>{"s3", "s2"}));
  EXPECT_EQ(run({"SELECT count(*) FROM app_secrets WHERE app_id = $1", {app_id_}}).text(0, 0), "2");
  EXPECT_TRUE(write_one(rotate_secret("ghost", "s")).empty());
}

// Secrets that PostgreSQL must quote inside a text[] still come back byte for byte.
TEST_F(AppStoreTest, SecretsNeedingArrayQuotingRoundTrip) {
  const std::string odd = R"(a,b "c"\d {e} NULL)";
  ASSERT_EQ(write_one(rotate_secret(app_id_, "NULL")).size(), 1u);
  ASSERT_EQ(write_one(rotate_secret(app_id_, odd)).size(), 1u);
  EXPECT_EQ(app(app_id_)->secrets, (std::vector<std::string>{odd, "NULL"}));
}

// A nonce is fresh once per app within the window; after the window it is fresh again.
TEST_F(AppStoreTest, NonceIsFreshOncePerWindow) {
  EXPECT_TRUE(fresh_nonce(app_id_, "n-0123456789abcdef"));
  EXPECT_FALSE(fresh_nonce(app_id_, "n-0123456789abcdef"));
  EXPECT_TRUE(fresh_nonce("other-app", "n-0123456789abcdef"));
  run({"UPDATE nonces SET seen_at = now() - interval '601 seconds' WHERE app_id = $1", {app_id_}});
  EXPECT_TRUE(fresh_nonce(app_id_, "n-0123456789abcdef"));
  EXPECT_FALSE(fresh_nonce(app_id_, "n-0123456789abcdef"));
}

}  // namespace
}  // namespace unipay::storage::test
