// net/log_format through a real spdlog logger: every JSON-mode record is one line holding
// one JSON object whose msg is the message, whatever bytes it held; every text-mode record
// is one line.
#include "net/log_format.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>
#include <string>
#include <vector>

#include "net/json.hpp"

namespace unipay::logfmt {
namespace {

// Logs each message once at `level` through a logger formatted like unipayd's; answers
// the lines written (each without its newline).
std::vector<std::string> log_lines(bool json, const std::vector<std::string>& messages,
                                   spdlog::level::level_enum level = spdlog::level::info) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger logger("test", sink);
  use_format(logger, json);
  for (const std::string& message : messages) logger.log(level, "{}", message);
  logger.flush();
  std::vector<std::string> lines;
  std::istringstream in(out.str());
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

const std::vector<std::string> kHostile = {
    R"(request_id=r1 method=GET path=/x","level":"error","msg":"FORGED","x":"y status=404)",
    "ERROR:  duplicate key value violates unique constraint \"bills_pkey\"\nDETAIL:  Key (bill_id)=(b_\"x\\) "
    "already exists.\n",
    "back\\slash \"quote\" tab\tcr\rbell\x07 esc\x1b[31m del\x7f",
    "raw \x80\x81\xfe\xff half \xc3 surrogate \xed\xa0\x80 overlong \xc0\xaf end",
    "valid caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xb0",
    "}\n{\"time\":\"2020-01-01T00:00:00.000Z\",\"level\":\"error\",\"msg\":\"FORGED\"}",
};

// Proves the probe's forgeries fail: each hostile message is one line, one JSON object
// with exactly time, level and msg, at the level it was logged at, and msg reads back as
// the message (invalid UTF-8 bytes as U+FFFD).
TEST(LogFormatJson, HostileMessagesStayOneValidRecord) {
  const auto lines = log_lines(true, kHostile, spdlog::level::warn);
  ASSERT_EQ(lines.size(), kHostile.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    auto record = json::parse(lines[i]);
    ASSERT_TRUE(record.ok()) << lines[i] << ": " << record.error().message;
    ASSERT_EQ(record->members.size(), 3u) << lines[i];
    EXPECT_EQ(record->members[0].first, "time");
    EXPECT_EQ(record->find("level")->string, "warning");
    const std::string& msg = record->find("msg")->string;
    if (i != 3) {
      EXPECT_EQ(msg, kHostile[i]);
    }
  }
  EXPECT_EQ(json::parse(lines[3])->find("msg")->string,
            "raw \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd half \xef\xbf\xbd surrogate "
            "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd overlong \xef\xbf\xbd\xef\xbf\xbd end");
}

// Proves a NUL in a message is written as the JSON escape, not as a raw byte.
TEST(LogFormatJson, NulIsEscaped) {
  const auto lines = log_lines(true, {std::string("a\0b", 3)});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(R"("msg":"a\u0000b")"), std::string::npos) << lines[0];
}

// Proves the property behind the e2e probe: any message (NUL aside, which the parser
// refuses by design) gives exactly one line that parses as a JSON object.
RC_GTEST_PROP(LogFormatJson, AnyMessageIsOneJsonLine, (std::string message)) {
  std::erase(message, '\0');
  const auto lines = log_lines(true, {message});
  RC_ASSERT(lines.size() == 1u);
  auto record = json::parse(lines[0]);
  RC_ASSERT(record.ok());
  RC_ASSERT(record->is_object());
}

// Proves spdlog's own error report (here: a message whose format string is wrong) is a
// JSON record as well, not spdlog's "[*** LOG ERROR ***]" text.
TEST(LogFormatJson, SpdlogErrorsAreJsonRecordsToo) {
  std::ostringstream out;
  spdlog::logger logger("test", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  use_format(logger, true);
  testing::internal::CaptureStderr();
  logger.info(fmt::runtime("{:d} \"quoted\"\n"), "not a number");
  const std::string written = testing::internal::GetCapturedStderr();
  EXPECT_EQ(out.str(), "");
  ASSERT_FALSE(written.empty());
  EXPECT_EQ(written.back(), '\n');
  EXPECT_EQ(written.find('\n'), written.size() - 1) << written;
  auto record = json::parse(written.substr(0, written.size() - 1));
  ASSERT_TRUE(record.ok()) << written;
  EXPECT_EQ(record->find("level")->string, "error");
  EXPECT_EQ(record->find("msg")->string.rfind("log error: ", 0), 0u) << written;
}

// Proves the text format keeps every hostile message on its own line, with the time and
// level first.
TEST(LogFormatText, HostileMessagesStayOneLine) {
  const auto lines = log_lines(false, kHostile, spdlog::level::err);
  ASSERT_EQ(lines.size(), kHostile.size());
  for (const std::string& line : lines) {
    EXPECT_NE(line.find("Z error "), std::string::npos) << line;
    for (char c : line) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << line;
  }
  EXPECT_NE(lines[1].find(R"(constraint "bills_pkey"\nDETAIL:  Key)"), std::string::npos) << lines[1];
}

}  // namespace
}  // namespace unipay::logfmt
