// The token key file: created once with mode 0600 and reused, refused when malformed,
// and the same key for processes that start together.
#include "net/token_key_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <vector>

#include "net/crypto.hpp"

namespace unipay {
namespace {

namespace fs = std::filesystem;

class TokenKeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("unipay-token-key-" + crypto::random_hex(6));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

  fs::path dir_;
};

// Proves: on first start the file is created (with its directory) holding 64 hex
// characters, mode 0600; the next start reads the same key and does not create it again.
TEST_F(TokenKeyFileTest, CreatedOnceThenReused) {
  const fs::path path = dir_ / "nested" / "token.key";
  auto first = load_or_create_token_key(path.string());
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->created);
  EXPECT_FALSE(first->readable_by_others);
  EXPECT_EQ(first->key.secret.size(), 64u);
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto again = load_or_create_token_key(path.string());
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->key.secret, first->key.secret);
  EXPECT_EQ(again->key.id, first->key.id);
  EXPECT_EQ(std::vector<fs::path>(fs::directory_iterator(path.parent_path()), {}).size(),
            1u);  // no temporaries
}

// Proves: a file that does not hold exactly 64 lowercase hex characters is refused with
// a message naming it, and is left as it was.
TEST_F(TokenKeyFileTest, MalformedFileIsRefused) {
  const std::string good(64, 'a');
  for (const std::string& text : {std::string(), good.substr(1), good + "a", std::string(64, 'A'),
                                  std::string(64, 'g'), good + "\n\n", std::string(1000, 'a')}) {
    const fs::path path = dir_ / "bad.key";
    write(path, text);
    auto loaded = load_or_create_token_key(path.string());
    ASSERT_FALSE(loaded.ok()) << text;
    EXPECT_NE(loaded.error().message.find(path.string()), std::string::npos);
    EXPECT_EQ(fs::file_size(path), text.size());
  }
  write(dir_ / "ok.key", good + "\n");
  EXPECT_TRUE(load_or_create_token_key((dir_ / "ok.key").string()).ok());
}

// Proves: a key file others may read is reported (the server warns about it).
TEST_F(TokenKeyFileTest, LoosePermissionsAreReported) {
  const fs::path path = dir_ / "loose.key";
  write(path, std::string(64, 'b'));
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  auto loaded = load_or_create_token_key(path.string());
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->readable_by_others);
}

// Proves: processes starting together on an empty directory all end with one key.
TEST_F(TokenKeyFileTest, ConcurrentFirstStartsAgree) {
  const std::string path = (dir_ / "token.key").string();
  std::vector<std::future<Result<LoadedTokenKey>>> starts;
  for (int i = 0; i < 8; ++i)
    starts.push_back(std::async(std::launch::async, load_or_create_token_key, path));
  std::string secret;
  int created = 0;
  for (auto& start : starts) {
    auto loaded = start.get();
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    if (secret.empty()) secret = loaded->key.secret;
    EXPECT_EQ(loaded->key.secret, secret);
    created += loaded->created ? 1 : 0;
  }
  EXPECT_EQ(created, 1);
}

// Proves: the default path is token.key in the data directory; the setting overrides it.
TEST(TokenKeyPath, DefaultsToTheDataDirectory) {
  config::Config config;
  config.database.data_dir = "/srv/unipay";
  EXPECT_EQ(token_key_path(config), "/srv/unipay/token.key");
  config.server.token_key_file = "/etc/unipay/token.key";
  EXPECT_EQ(token_key_path(config), "/etc/unipay/token.key");
}

}  // namespace
}  // namespace unipay
