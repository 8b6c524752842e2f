// Shared by the config tests: a clean UNIPAY_* environment per test, argv building and
// temporary TOML files.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"

extern char** environ;

namespace unipay::config::test {

// Removes every UNIPAY_* variable for the test and puts the originals back afterwards, so
// the developer's shell cannot change results and tests cannot leak into each other.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (char** entry = environ; *entry != nullptr; ++entry) {
      std::string text(*entry);
      if (text.rfind("UNIPAY_", 0) != 0) continue;
      const size_t eq = text.find('=');
      saved_.emplace_back(text.substr(0, eq), text.substr(eq + 1));
    }
    for (const auto& [name, value] : saved_) unsetenv(name.c_str());
  }

  void TearDown() override {
    for (const std::string& name : set_) unsetenv(name.c_str());
    for (const auto& [name, value] : saved_) setenv(name.c_str(), value.c_str(), 1);
    for (const std::string& path : files_) std::remove(path.c_str());
  }

  void set_env(const std::string& name, const std::string& value) {
    setenv(name.c_str(), value.c_str(), 1);
    set_.push_back(name);
  }

  // Runs parse_invocation on `unipayd <args...>`.
  static Invocation run(std::vector<std::string> args) {
    args.insert(args.begin(), "unipayd");
    std::vector<const char*> argv;
    for (const std::string& arg : args) argv.push_back(arg.c_str());
    argv.push_back(nullptr);
    return parse_invocation(static_cast<int>(args.size()), argv.data());
  }

  std::string write_file(const std::string& text) {
    const std::string path = ::testing::TempDir() + "unipay_config_" + std::to_string(getpid()) + "_" +
                             std::to_string(files_.size()) + ".toml";
    std::ofstream(path) << text;
    files_.push_back(path);
    return path;
  }

 private:
  std::vector<std::pair<std::string, std::string>> saved_;
  std::vector<std::string> set_;
  std::vector<std::string> files_;
};

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace unipay::config::test
