// Log lines that cannot be forged. What a client sends (paths, ids in paths) and what a
// library says (libpq's multi-line errors) is escaped before it becomes part of a line, so
// one line is always one record and a quoted field never ends early.
#pragma once

#include <string>
#include <string_view>

namespace unipay::logfmt {

// A client-chosen value as one double-quoted field: '"' and '\' become \" and \\, every
// byte outside printable ASCII becomes \xNN. The result is printable ASCII, so the value
// can neither end its field nor the line, and cannot hide behind look-alike or bidi
// characters (request paths are ASCII on the wire; anything else is shown as bytes).
std::string quote_field(std::string_view text);

// A text-mode message kept on one line: control characters and DEL become \n, \r, \t or
// \xNN, bytes that are not valid UTF-8 become \xNN; everything else (valid UTF-8, quotes,
// backslashes) is unchanged, so quote_field's output passes through as it is.
void append_one_line(std::string& out, std::string_view message);

}  // namespace unipay::logfmt
