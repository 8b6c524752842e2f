#include "net/log_format.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "net/json.hpp"
#include "net/log_escape.hpp"

namespace unipay::logfmt {
namespace {

// %* in the patterns below: the message, escaped for the line's format.
class EscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  explicit EscapedMessage(bool json) : json_(json) {}

  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    std::string out;
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    if (json_) {
      json::append_quoted(out, payload);
    } else {
      append_one_line(out, payload);
    }
    dest.append(out.data(), out.data() + out.size());
  }

  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<EscapedMessage>(json_);
  }

 private:
  bool json_;
};

constexpr const char* kJsonPattern = R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":%*})";
constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%eZ %l %*";

std::unique_ptr<spdlog::formatter> make_formatter(bool json) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<EscapedMessage>('*', json).set_pattern(json ? kJsonPattern : kTextPattern);
  return formatter;
}

}  // namespace

void use_format(spdlog::logger& logger, bool json) {
  logger.set_formatter(make_formatter(json));
  // spdlog's own errors (a bad format string) would otherwise be printed in spdlog's shape.
  std::shared_ptr<spdlog::formatter> fallback = make_formatter(json);
  auto mutex = std::make_shared<std::mutex>();
  logger.set_error_handler([fallback, mutex](const std::string& what) {
    const std::string message = "log error: " + what;
    const spdlog::details::log_msg record("unipay", spdlog::level::err, message);
    spdlog::memory_buf_t line;
    std::lock_guard lock(*mutex);
    fallback->format(record, line);
    std::fwrite(line.data(), 1, line.size(), stderr);
  });
}

}  // namespace unipay::logfmt
