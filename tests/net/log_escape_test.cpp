// net/log_escape: a quoted field is printable ASCII that cannot end early, and a text-mode
// message stays on one line whatever bytes it holds.
#include "net/log_escape.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>

namespace unipay::logfmt {
namespace {

std::string one_line(std::string_view message) {
  std::string out;
  append_one_line(out, message);
  return out;
}

// Proves the escapes a reader relies on: quote and backslash are escaped, named controls
// read as \n \r \t, other controls, DEL and every non-ASCII byte as \xNN.
TEST(LogQuoteField, EscapesQuotesBackslashesControlsAndNonAscii) {
  EXPECT_EQ(quote_field("/v1/bills/b_1"), "\"/v1/bills/b_1\"");
  EXPECT_EQ(quote_field(R"(/x","level":"error)"), R"("/x\",\"level\":\"error")");
  EXPECT_EQ(quote_field("a\\b"), R"("a\\b")");
  EXPECT_EQ(quote_field("a\nb\rc\td"), R"("a\nb\rc\td")");
  EXPECT_EQ(quote_field(std::string("\x00\x01\x1f\x7f", 4)), R"("\x00\x01\x1f\x7f")");
  EXPECT_EQ(quote_field("\xc3\xa9\xff"), R"("\xc3\xa9\xff")");
  EXPECT_EQ(quote_field(""), "\"\"");
}

// Proves a forged path cannot add a field: the quoted value is one token that ends at the
// only unescaped quote, its last byte.
RC_GTEST_PROP(LogQuoteField, AlwaysOnePrintableAsciiToken, (const std::string& text)) {
  const std::string quoted = quote_field(text);
  RC_ASSERT(quoted.size() >= 2);
  RC_ASSERT(quoted.front() == '"');
  RC_ASSERT(quoted.back() == '"');
  for (size_t i = 1; i + 1 < quoted.size(); ++i) {
    const auto byte = static_cast<unsigned char>(quoted[i]);
    RC_ASSERT(byte >= 0x20 && byte < 0x7F);
    if (quoted[i] == '\\') {
      ++i;  // the escaped character
      RC_ASSERT(i + 1 < quoted.size());
    } else {
      RC_ASSERT(quoted[i] != '"');
    }
  }
}

// Proves libpq's multi-line errors and raw bytes stay on one line, while valid UTF-8,
// quotes and backslashes read as they are (so quote_field's output passes unchanged).
TEST(LogOneLine, EscapesControlsAndInvalidUtf8Only) {
  EXPECT_EQ(one_line("ERROR:  boom\nDETAIL:  x\n"), R"(ERROR:  boom\nDETAIL:  x\n)");
  EXPECT_EQ(one_line("a\r\tb\x01\x7f"), R"(a\r\tb\x01\x7f)");
  EXPECT_EQ(one_line(std::string("nul\x00", 4)), R"(nul\x00)");
  EXPECT_EQ(one_line("caf\xc3\xa9 \xe2\x82\xac"), "caf\xc3\xa9 \xe2\x82\xac");
  EXPECT_EQ(one_line("bad \xff \xc3 \xed\xa0\x80"), R"(bad \xff \xc3 \xed\xa0\x80)");
  EXPECT_EQ(one_line(R"(path="/a\"b")"), R"(path="/a\"b")");
}

// Proves any bytes at all give one line of printable characters and valid UTF-8.
RC_GTEST_PROP(LogOneLine, NeverAControlByteNorInvalidUtf8, (const std::string& message)) {
  const std::string line = one_line(message);
  for (char c : line) {
    const auto byte = static_cast<unsigned char>(c);
    RC_ASSERT(byte >= 0x20);
    RC_ASSERT(byte != 0x7F);
  }
  const std::string again = one_line(line);
  RC_ASSERT(again == line);  // valid UTF-8 without controls passes unchanged
}

}  // namespace
}  // namespace unipay::logfmt
