// The Beast-free parts of the HTTP value types: header lookup and query decoding.
#include "net/http_types.hpp"

#include <utility>

namespace unipay::http {

std::string_view Request::header(std::string_view lowercase_name) const {
  for (const Header& h : headers) {
    if (h.name == lowercase_name) return h.value;
  }
  return {};
}

bool Request::has_header(std::string_view lowercase_name) const {
  for (const Header& h : headers) {
    if (h.name == lowercase_name) return true;
  }
  return false;
}

void ClientWatch::on_gone(std::function<void()> fn) {
  std::function<void()> start;
  {
    std::lock_guard lock(mutex_);
    if (cleared_) return;
    if (!gone_) {
      on_gone_ = std::move(fn);
      start = std::exchange(start_watching_, nullptr);
      fn = nullptr;
    }
  }
  if (start) start();
  if (fn) fn();  // the client was already gone
}

void ClientWatch::gone() {
  std::function<void()> fn;
  {
    std::lock_guard lock(mutex_);
    if (gone_ || cleared_) return;
    gone_ = true;
    fn = std::exchange(on_gone_, nullptr);
  }
  if (fn) fn();
}

void ClientWatch::clear() {
  std::function<void()> fn, start;
  std::lock_guard lock(mutex_);
  cleared_ = true;
  fn = std::exchange(on_gone_, nullptr);  // destroyed after the lock is released
  start = std::exchange(start_watching_, nullptr);
}

bool ClientWatch::is_gone() const {
  std::lock_guard lock(mutex_);
  return gone_;
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool url_decode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out.push_back(' ');  // form encoding: '+' is a space in query components
    } else if (c == '%') {
      if (i + 2 >= in.size()) return false;  // needs two hex digits after '%'
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return true;
}

bool parse_query(std::string_view query, std::vector<std::pair<std::string, std::string>>& out) {
  out.clear();
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.empty()) continue;  // "a=1&&b=2": empty segments carry nothing
    const size_t eq = part.find('=');
    std::pair<std::string, std::string> pair;
    if (!url_decode(part.substr(0, eq), pair.first)) return false;
    if (eq != std::string_view::npos && !url_decode(part.substr(eq + 1), pair.second)) return false;
    out.push_back(std::move(pair));
  }
  return true;
}

}  // namespace unipay::http
