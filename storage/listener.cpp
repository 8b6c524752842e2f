// Listener: LISTEN on a connection of its own; poll() on the libpq socket and an eventfd
// that the destructor signals, so stopping never waits for a timeout. Connecting is retried
// with backoff from the start, so a database that is down when unipayd starts (or that
// drops the connection later) only delays cross-node wake-ups until it is back.
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "storage/database.hpp"
#include "storage/pg_connection.hpp"

namespace unipay::storage {
namespace {

constexpr auto kFirstBackoff = std::chrono::milliseconds(50);
constexpr auto kMaxBackoff = std::chrono::milliseconds(5000);
constexpr auto kPollTimeout = std::chrono::milliseconds(1000);

Status listen_on(PGconn* conn, const std::string& channel) {
  char* quoted = PQescapeIdentifier(conn, channel.c_str(), channel.size());
  if (!quoted) return make_error(Errc::storage_read, pg::connection_error(conn));
  const std::string sql = std::string("LISTEN ") + quoted;
  PQfreemem(quoted);
  return pg::exec_script(conn, sql.c_str(), Errc::storage_read);
}

}  // namespace

struct Listener::Impl {
  std::string conninfo;
  std::string incarnation;
  std::string channel;
  OnNotify on_notify;
  OnReconnect on_reconnect;
  pg::Conn conn;  // touched by start() before the thread runs, then by the thread only
  std::atomic<bool> listening{false};
  int stop_fd = -1;
  std::thread thread;

  ~Impl() {
    if (stop_fd >= 0) ::close(stop_fd);
  }
  bool try_listen();
  void run();
  bool wait_readable(std::chrono::milliseconds timeout, bool& stop);
  void deliver();
  bool listen_with_backoff();
};

Result<std::unique_ptr<Listener>> Listener::start(const std::string& conninfo, const std::string& channel,
                                                  OnNotify on_notify, OnReconnect on_reconnect,
                                                  const std::string& incarnation) {
  auto impl = std::make_unique<Impl>();
  impl->stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl->stop_fd < 0) return make_error(Errc::storage_read, "eventfd failed");
  impl->conninfo = conninfo;
  impl->incarnation = incarnation;
  impl->channel = channel;
  impl->on_notify = std::move(on_notify);
  impl->on_reconnect = std::move(on_reconnect);
  impl->try_listen();  // when it fails, the thread keeps trying
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

bool Listener::listening() const { return impl_->listening.load(std::memory_order_acquire); }

// A fresh connection each time: after a failed start there is none to reset.
bool Listener::Impl::try_listen() {
  conn.reset();
  auto fresh = pg::connect(conninfo, "unipay-listener", Errc::storage_read, incarnation);
  if (!fresh || !listen_on(fresh->get(), channel)) return false;
  conn = std::move(*fresh);
  listening.store(true, std::memory_order_release);
  return true;
}

void Listener::Impl::run() {
  bool stop = false;
  while (!stop) {
    if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
      listening.store(false, std::memory_order_release);
      if (!listen_with_backoff()) return;
      if (on_reconnect) on_reconnect();
      continue;
    }
    if (!wait_readable(kPollTimeout, stop) || stop) continue;
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

// Connects and LISTENs until it works, waiting kFirstBackoff, doubling up to kMaxBackoff
// between tries; false when stopped meanwhile.
bool Listener::Impl::listen_with_backoff() {
  auto backoff = kFirstBackoff;
  for (;;) {
    if (try_listen()) return true;
    pollfd stop_poll{stop_fd, POLLIN, 0};
    if (::poll(&stop_poll, 1, static_cast<int>(backoff.count())) > 0) return false;
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

}  // namespace unipay::storage
