// Listener: LISTEN on a connection of its own; poll() on the libpq socket and an eventfd
// that the destructor signals, so stopping never waits for a timeout.
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "storage/database.hpp"
#include "storage/pg_connection.hpp"

namespace unipay::storage {
namespace {

constexpr auto kFirstBackoff = std::chrono::milliseconds(50);
constexpr auto kMaxBackoff = std::chrono::milliseconds(5000);

Status listen_on(PGconn* conn, const std::string& channel) {
  char* quoted = PQescapeIdentifier(conn, channel.c_str(), channel.size());
  if (!quoted) return make_error(Errc::storage_read, pg::connection_error(conn));
  const std::string sql = std::string("LISTEN ") + quoted;
  PQfreemem(quoted);
  return pg::exec_script(conn, sql.c_str(), Errc::storage_read);
}

}  // namespace

struct Listener::Impl {
  pg::Conn conn;
  std::string channel;
  OnNotify on_notify;
  OnReconnect on_reconnect;
  int stop_fd = -1;
  std::thread thread;

  ~Impl() {
    if (stop_fd >= 0) ::close(stop_fd);
  }
  void run();
  bool wait_readable(std::chrono::milliseconds timeout, bool& stop);
  void deliver();
  bool reconnect();
};

Result<std::unique_ptr<Listener>> Listener::start(const std::string& conninfo, const std::string& channel,
                                                  OnNotify on_notify, OnReconnect on_reconnect) {
  auto conn = pg::connect(conninfo, "unipay-listener", Errc::storage_read);
  if (!conn) return conn.error();
  if (auto listening = listen_on(conn->get(), channel); !listening) return listening.error();
  auto impl = std::make_unique<Impl>();
  impl->stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl->stop_fd < 0) return make_error(Errc::storage_read, "eventfd failed");
  impl->conn = std::move(*conn);
  impl->channel = channel;
  impl->on_notify = std::move(on_notify);
  impl->on_reconnect = std::move(on_reconnect);
  std::unique_ptr<Listener> listener(new Listener());
  listener->impl_ = std::move(impl);
  Impl* raw = listener->impl_.get();
  raw->thread = std::thread([raw] { raw->run(); });
  return listener;
}

Listener::~Listener() {
  if (!impl_) return;
  const uint64_t one = 1;
  (void)!::write(impl_->stop_fd, &one, sizeof one);
  impl_->thread.join();
}

void Listener::Impl::run() {
  bool stop = false;
  while (!stop) {
    if (PQstatus(conn.get()) != CONNECTION_OK) {
      if (!reconnect()) return;
      if (on_reconnect) on_reconnect();
      continue;
    }
    if (!wait_readable(std::chrono::milliseconds(1000), stop) || stop) continue;
    // A failed read leaves the status CONNECTION_BAD: the next turn reconnects.
    if (PQconsumeInput(conn.get()) == 1) deliver();
  }
}

// Waits until the socket (or the stop eventfd) is readable; false on timeout.
bool Listener::Impl::wait_readable(std::chrono::milliseconds timeout, bool& stop) {
  pollfd fds[2] = {{stop_fd, POLLIN, 0}, {PQsocket(conn.get()), POLLIN, 0}};
  const nfds_t count = fds[1].fd >= 0 ? 2 : 1;
  const int ready = ::poll(fds, count, static_cast<int>(timeout.count()));
  if (ready <= 0) return false;  // timeout or EINTR: just poll again
  stop = (fds[0].revents & POLLIN) != 0;
  return true;
}

void Listener::Impl::deliver() {
  while (PGnotify* note = PQnotifies(conn.get())) {
    std::string payload = note->extra ? note->extra : "";
    PQfreemem(note);
    if (on_notify) on_notify(std::move(payload));
  }
}

// Resets and re-LISTENs until it works, with exponential backoff; false when stopped.
bool Listener::Impl::reconnect() {
  auto backoff = kFirstBackoff;
  for (;;) {
    PQreset(conn.get());
    if (PQstatus(conn.get()) == CONNECTION_OK && listen_on(conn.get(), channel)) return true;
    pollfd stop_poll{stop_fd, POLLIN, 0};
    if (::poll(&stop_poll, 1, static_cast<int>(backoff.count())) > 0) return false;
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

}  // namespace unipay::storage
