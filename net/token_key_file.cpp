#include "net/token_key_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "net/crypto.hpp"

namespace unipay {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kKeyHexChars = 2 * kKeyBytes;
constexpr size_t kMaxFileBytes = 256;  // a key file is 65 bytes; anything much larger is not one

Error key_error(const std::string& path, const std::string& why) {
  return make_error(Errc::invalid_parameter, "token key file " + path + ": " + why);
}

Error errno_error(const std::string& path, const std::string& doing) {
  return key_error(path, doing + ": " + std::strerror(errno));
}

// The whole file, up to kMaxFileBytes + 1 bytes (so an oversized file is noticed).
Result<std::string> read_small_file(const std::string& path, int fd) {
  std::string text;
  char buffer[kMaxFileBytes + 1];
  while (text.size() <= kMaxFileBytes) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return errno_error(path, "cannot read");
    if (got == 0) break;
    text.append(buffer, static_cast<size_t>(got));
  }
  return text;
}

Result<LoadedTokenKey> read_key(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error(path, "cannot open");
  struct stat info {};
  const bool stat_ok = ::fstat(fd, &info) == 0;
  auto text = read_small_file(path, fd);
  ::close(fd);
  if (!text) return text.error();
  if (!stat_ok) return errno_error(path, "cannot stat");
  std::string secret = *text;
  if (!secret.empty() && secret.back() == '\n') secret.pop_back();
  const bool hex = std::all_of(secret.begin(), secret.end(),
                               [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  if (secret.size() != kKeyHexChars || !hex)
    return key_error(path, "must hold 64 lowercase hex characters (256 bits)");
  LoadedTokenKey loaded;
  loaded.key = make_token_key(std::move(secret));
  loaded.readable_by_others = (info.st_mode & (S_IRWXG | S_IRWXO)) != 0;
  return loaded;
}

Status write_all(const std::string& path, int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t wrote = ::write(fd, text.data() + done, text.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) return errno_error(path, "cannot write");
    done += static_cast<size_t>(wrote);
  }
  if (::fsync(fd) != 0) return errno_error(path, "cannot sync");
  return ok_status();
}

// A fresh key in a temporary file beside `path`, linked into place only when complete;
// link() never replaces an existing file, so a concurrent creator's key wins intact.
// True when this call's key is the one in place.
Result<bool> create_key(const std::string& path) {
  const std::string temporary = path + ".tmp-" + crypto::random_hex(8);
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return errno_error(temporary, "cannot create");
  Status written = write_all(temporary, fd, crypto::random_hex(kKeyBytes) + "\n");
  ::close(fd);
  Result<bool> linked = written ? Result<bool>(true) : Result<bool>(written.error());
  if (written && ::link(temporary.c_str(), path.c_str()) != 0)
    linked = errno == EEXIST ? Result<bool>(false) : Result<bool>(errno_error(path, "cannot create"));
  ::unlink(temporary.c_str());
  return linked;
}

}  // namespace

std::string token_key_path(const config::Config& config) {
  if (!config.server.token_key_file.empty()) return config.server.token_key_file;
  return (std::filesystem::path(config.database.data_dir) / "token.key").string();
}

Result<LoadedTokenKey> load_or_create_token_key(const std::string& path) {
  if (::access(path.c_str(), F_OK) == 0) return read_key(path);
  if (errno != ENOENT) return errno_error(path, "cannot reach");
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return key_error(path, "cannot create its directory: " + ec.message());
  auto created = create_key(path);
  if (!created) return created.error();
  auto loaded = read_key(path);
  if (loaded) loaded->created = *created;
  return loaded;
}

}  // namespace unipay
