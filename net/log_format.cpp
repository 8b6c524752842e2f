#include "net/log_format.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <ctime>

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

// spdlog's own errors (a bad format string) would otherwise be printed in its own shape.
void report_log_error(bool json, const std::string& what) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char time[32];
  std::strftime(time, sizeof time, "%Y-%m-%dT%H:%M:%S", &utc);
  std::string line;
  const std::string message = "log error: " + what;
  if (json) {
    line =
        std::string(R"({"time":")") + time + "." + fmt::format("{:03}", ms) + R"(Z","level":"error","msg":)";
    json::append_quoted(line, message);
  } else {
    line = std::string(time) + "." + fmt::format("{:03}", ms) + "Z error ";
    append_one_line(line, message);
  }
  line += '\n';
  std::fputs(line.c_str(), stderr);
}

}  // namespace

void use_format(spdlog::logger& logger, bool json) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<EscapedMessage>('*', json).set_pattern(json ? kJsonPattern : kTextPattern);
  logger.set_formatter(std::move(formatter));
  logger.set_error_handler([json](const std::string& what) { report_log_error(json, what); });
}

}  // namespace unipay::logfmt
