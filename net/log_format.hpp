// unipayd's log format: one line per record, either "TIME LEVEL MESSAGE" or (--log-json)
// one JSON object {"time","level","msg"}, the message escaped so that nothing a client or a
// library puts into it can end the record or forge another (net/log_escape.hpp).
#pragma once

namespace spdlog {
class logger;
}

namespace unipay::logfmt {

// Installs the text or JSON line format and an error handler that keeps to the same format.
void use_format(spdlog::logger& logger, bool json);

}  // namespace unipay::logfmt
