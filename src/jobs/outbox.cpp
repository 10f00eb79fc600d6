// The callback deliverer. HTTP is plain Beast on a private io_context owned by the
// deliverer thread, so stop() can interrupt an attempt in flight with io_context::stop().
//
// https:// is not delivered: this library links OpenSSL's libcrypto but not libssl, and a
// TLS client without certificate verification would be worse than none. Such events
// fail with last_error "https_not_supported" (and are retried, in case the merchant
// switches to an http URL).
//
// Two shapes go out: MusePay's RSA-signed envelope for every event, except the events of
// AdPos cards (ADPOS_TRANSACTION, CARD_AUTO_TOP_UP), which go as AdPos sends them: the
// bare data, HMAC-signed with the merchant's webhook secret (adpos_callback below).
#include "jobs/outbox.h"

#include "engine/adpos_events.h"
#include "engine/events.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include "common/clock.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/log.h"
#include "crypto/hashing.h"
#include "crypto/musepay_signature.h"

namespace issuerd::jobs {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace bj = boost::json;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

constexpr std::uint32_t kResponseHeaderBytesMax = 16 * 1024;

// ---- what one attempt came to ----

struct Attempt {
  enum class Kind {
    delivered,
    failed,      // counts an attempt and is retried (or given up)
    given_up,    // can never succeed (a corrupt payload): failed at once
    skipped,     // not attempted (stopping, database trouble): nothing is recorded
  };
  Kind kind = Kind::skipped;
  std::string error;   // last_error for failed / given_up
  int http_status = 0;
};

Attempt delivered(int http_status) { return Attempt{Attempt::Kind::delivered, {}, http_status}; }
Attempt failed(std::string error, int http_status = 0) {
  return Attempt{Attempt::Kind::failed, std::move(error), http_status};
}
Attempt skipped() { return Attempt{}; }

// ---- webhook URLs ----

struct WebhookTarget {
  std::string host;         // to resolve: decoded, an IPv6 literal without brackets
  std::uint16_t port = 80;
  std::string host_header;  // as written in the URL
  std::string target;       // path and query
};

// Errors carry the last_error text as their reason.
Result<WebhookTarget> parse_webhook_target(const std::string& url) {
  const Error invalid = make_error(ErrorKind::invalid_argument, "invalid_webhook_url", "the webhook URL is not usable");
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return invalid;
  if (parsed->scheme_id() == boost::urls::scheme::https) {
    return make_error(ErrorKind::failed_precondition, "https_not_supported", "https webhooks are not delivered");
  }
  if (parsed->scheme_id() != boost::urls::scheme::http || parsed->host_address().empty()) return invalid;
  WebhookTarget target;
  target.host = parsed->host_address();
  if (parsed->has_port()) {
    if (parsed->port_number() == 0) return invalid;  // empty, zero or out of range
    target.port = parsed->port_number();
  }
  target.host_header = parsed->encoded_host_and_port();
  target.target = parsed->encoded_target();
  if (!target.target.starts_with('/')) target.target.insert(0, "/");  // "http://h" or "http://h?q"
  return target;
}

// ---- the callback body ----

// What one attempt sends: the body and the headers beyond the usual ones.
struct OutgoingCallback {
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// MusePay's callback: the common parameters around the event, signed like a request but
// with the platform's private key (VENDOR-NOTES). A fresh timestamp and nonce per attempt
// let the merchant apply the same replay checks it applies to requests.
std::string callback_body(const storage::OutboxEvent& event, bj::object data, const crypto::RsaPrivateKey& key) {
  bj::object body;
  body["partner_id"] = event.merchant_id;
  body["event_id"] = event.event_id;
  body["type"] = event.event_type;
  body["data"] = std::move(data);
  body["timestamp"] = std::to_string(wall_clock_ms());
  body["nonce"] = crypto::hex_encode(crypto::random_bytes(16));
  body["sign_type"] = "RSA";
  body["sign"] = crypto::musepay_sign(body, key);
  return bj::serialize(body);
}

// AdPos's callback (ADPOS_TRANSACTION, and CARD_AUTO_TOP_UP, which only AdPos cards have):
// the event's data as the whole body, as AdPos sends it, signed Stripe-style with the
// merchant's webhook secret: X-AdPos-Signature "t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<body>">". The stored payload is sent byte for byte, so what was signed is what
// arrives. The event id and type ride in headers, for de-duplication and routing.
bool is_adpos_event(const std::string& event_type) {
  return event_type == engine::adpos_transaction_event || event_type == "CARD_AUTO_TOP_UP";
}

OutgoingCallback adpos_callback(const storage::OutboxEvent& event, const std::string& secret_hex) {
  const std::string timestamp = std::to_string(wall_clock_ms() / 1000);
  const std::string signature = crypto::hmac_sha256_hex(secret_hex, timestamp + "." + event.payload);
  return OutgoingCallback{event.payload,
                          {{"X-AdPos-Signature", "t=" + timestamp + ",v1=" + signature},
                           {"X-AdPos-Event", event.event_type},
                           {"X-AdPos-Event-Id", event.event_id}}};
}

bhttp::request<bhttp::string_body> callback_request(const WebhookTarget& target, OutgoingCallback callback) {
  bhttp::request<bhttp::string_body> request{bhttp::verb::post, target.target, 11};
  request.set(bhttp::field::host, target.host_header);
  request.set(bhttp::field::content_type, "application/json");
  request.set(bhttp::field::user_agent, "issuerd-callbacks/1");
  for (const auto& [name, value] : callback.headers) request.set(name, value);
  request.keep_alive(false);  // one event per connection: no idle sockets to manage
  request.body() = std::move(callback.body);
  request.prepare_payload();
  return request;
}

std::string io_error(std::string_view stage, const error_code& ec) {
  if (ec == beast::error::timeout) return "timeout";
  return std::string(stage) + "_failed: " + ec.message();
}

// ---- waiting for the deliverer's own writes ----

// Counts outcome commands submitted in one poll until the writer has run them, so the
// next poll never reads an event whose new state is still queued.
class PendingWrites {
 public:
  void add() {
    std::lock_guard lock(mutex_);
    ++count_;
  }
  void finish() {
    std::lock_guard lock(mutex_);
    --count_;
    done_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [this] { return count_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  int count_ = 0;
};

}  // namespace

// ---- enqueue ----

Result<std::string> enqueue_callback_with_id(storage::Store& store, const std::string& merchant_id,
                                             const std::string& event_type, const bj::object& data,
                                             std::int64_t now_ms) {
  return engine::enqueue_callback(store, merchant_id, event_type, data, now_ms);
}

Status enqueue_callback(storage::Store& store, const std::string& merchant_id, const std::string& event_type,
                        const bj::object& data, std::int64_t now_ms) {
  ISSUERD_TRY(enqueue_callback_with_id(store, merchant_id, event_type, data, now_ms));
  return Status::success();
}

// ---- the deliverer ----

struct CallbackDeliverer::Impl {
  Impl(api::Services& services_in, DeliveryLimits limits_in)
      : services(services_in), limits(limits_in), random(std::random_device{}()) {}

  void loop();
  void wait_idle();
  bool poll_once();
  Attempt attempt(const storage::OutboxEvent& event);
  Attempt post(const WebhookTarget& target, OutgoingCallback callback);
  Attempt attempt_adpos(const storage::OutboxEvent& event, const WebhookTarget& target);
  bool run_io(const bool& completed);
  storage::OutboxEvent after_attempt(storage::OutboxEvent event, const Attempt& outcome, std::int64_t now_ms);
  std::int64_t retry_delay_ms(std::int64_t attempts);
  void record(const storage::OutboxEvent& event, const std::shared_ptr<PendingWrites>& pending);
  void log_outcome(const storage::OutboxEvent& updated, const Attempt& outcome);
  bool stopping() {
    std::lock_guard lock(mutex);
    return stop_requested;
  }

  api::Services& services;
  DeliveryLimits limits;
  std::mt19937_64 random;  // retry jitter; deliverer thread only
  asio::io_context io;     // deliverer thread only, except stop() which may stop it
  std::mutex mutex;
  std::condition_variable wakeup;
  bool stop_requested = false;
  bool woken = false;
  std::thread thread;
};

void CallbackDeliverer::Impl::loop() {
  while (!stopping()) {
    // A full batch means more may be due: poll again without waiting.
    if (!poll_once()) wait_idle();
  }
}

void CallbackDeliverer::Impl::wait_idle() {
  std::unique_lock lock(mutex);
  wakeup.wait_for(lock, std::chrono::milliseconds(limits.poll_interval_ms),
                  [this] { return stop_requested || woken; });
  woken = false;
}

// Returns true when the batch was full and something was attempted (poll again now).
bool CallbackDeliverer::Impl::poll_once() {
  auto due = services.readers.with_store(
      [this](storage::Store& store) { return store.outbox().due(wall_clock_ms(), limits.batch_max); });
  if (!due.ok()) {
    log::warn("callback_poll_failed", {{"reason", due.error().reason}});
    return false;
  }
  auto pending = std::make_shared<PendingWrites>();
  std::set<std::string> held_back;  // merchants with a failure in this poll keep their order
  std::int64_t attempted = 0;
  for (const storage::OutboxEvent& event : *due) {
    if (stopping()) break;
    if (held_back.contains(event.merchant_id)) continue;
    const Attempt outcome = attempt(event);
    if (outcome.kind != Attempt::Kind::delivered) held_back.insert(event.merchant_id);
    if (outcome.kind == Attempt::Kind::skipped) continue;
    ++attempted;
    const storage::OutboxEvent updated = after_attempt(event, outcome, wall_clock_ms());
    log_outcome(updated, outcome);
    record(updated, pending);
  }
  pending->wait();
  return static_cast<std::int64_t>(due->size()) >= limits.batch_max && attempted > 0;
}

Attempt CallbackDeliverer::Impl::attempt(const storage::OutboxEvent& event) {
  auto merchant = services.readers.with_store(
      [&event](storage::Store& store) { return store.find_merchant(event.merchant_id); });
  if (!merchant.ok()) return skipped();  // the database's trouble, not the merchant's: no attempt counted
  if (!*merchant || !(*merchant)->webhook_url) return failed("no_webhook_url");
  auto target = parse_webhook_target(*(*merchant)->webhook_url);
  if (!target.ok()) return failed(target.error().reason);
  auto data = json::parse_object(event.payload);
  if (!data.ok()) return Attempt{Attempt::Kind::given_up, "invalid_payload", 0};
  if (is_adpos_event(event.event_type)) return attempt_adpos(event, *target);
  return post(*target, {callback_body(event, std::move(data).value(), services.keys.platform_rsa), {}});
}

Attempt CallbackDeliverer::Impl::attempt_adpos(const storage::OutboxEvent& event, const WebhookTarget& target) {
  auto secret = services.readers.with_store(
      [&event](storage::Store& store) { return store.adpos().webhook_secret(event.merchant_id); });
  if (!secret.ok()) return skipped();
  // Made with the merchant's first AdPos task, before any of its cards could trade.
  if (!*secret || (*secret)->empty()) return failed("no_webhook_secret");
  return post(target, adpos_callback(event, **secret));
}

// Runs the io_context until the operation just started completes. False when stop()
// interrupted it: the caller abandons the attempt (its handlers are never run again).
bool CallbackDeliverer::Impl::run_io(const bool& completed) {
  io.restart();
  // stop() sets the flag before it stops `io`, so a stop racing with restart() is seen here.
  if (stopping()) return false;
  io.run();
  return completed && !stopping();
}

// One POST under a single deadline for connect, send and the response header. The
// response body is never read: the status is all a callback needs.
Attempt CallbackDeliverer::Impl::post(const WebhookTarget& target, OutgoingCallback callback) {
  error_code ec;
  tcp::resolver resolver(io);
  // Synchronous: bounded by the system resolver's own timeouts (IP literals are instant).
  const auto endpoints = resolver.resolve(target.host, std::to_string(target.port), ec);
  if (ec) return failed(io_error("resolve", ec));
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::milliseconds(limits.http_timeout_ms));
  bool completed = false;
  stream.async_connect(endpoints, [&](error_code result, const tcp::endpoint&) { ec = result; completed = true; });
  if (!run_io(completed)) return skipped();
  if (ec) return failed(io_error("connect", ec));

  auto request = callback_request(target, std::move(callback));
  completed = false;
  bhttp::async_write(stream, request, [&](error_code result, std::size_t) { ec = result; completed = true; });
  if (!run_io(completed)) return skipped();
  if (ec) return failed(io_error("send", ec));

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::empty_body> parser;
  parser.header_limit(kResponseHeaderBytesMax);
  completed = false;
  bhttp::async_read_header(stream, buffer, parser, [&](error_code result, std::size_t) { ec = result; completed = true; });
  if (!run_io(completed)) return skipped();
  if (ec) return failed(io_error("read", ec));

  const int status = static_cast<int>(parser.get().result_int());
  stream.socket().close(ec);
  if (status >= 200 && status <= 299) return delivered(status);
  return failed("http_" + std::to_string(status), status);
}

storage::OutboxEvent CallbackDeliverer::Impl::after_attempt(storage::OutboxEvent event, const Attempt& outcome,
                                                            std::int64_t now_ms) {
  event.attempts += 1;
  if (outcome.kind == Attempt::Kind::delivered) {
    event.status = "delivered";
    event.delivered_at_ms = now_ms;
    event.last_error.reset();
    return event;
  }
  event.last_error = outcome.error;
  const bool too_old = now_ms - event.created_at_ms >= limits.age_max_ms;
  if (outcome.kind == Attempt::Kind::given_up || event.attempts >= limits.attempts_max || too_old) {
    event.status = "failed";
    return event;
  }
  event.next_attempt_at_ms = now_ms + retry_delay_ms(event.attempts);
  return event;
}

// base * 2^(attempts-1), capped, plus up to 10% jitter so that many events failing
// together (one endpoint down) do not all come back in the same millisecond.
std::int64_t CallbackDeliverer::Impl::retry_delay_ms(std::int64_t attempts) {
  std::int64_t delay_ms = std::max<std::int64_t>(limits.retry_base_ms, 1);
  for (std::int64_t i = 1; i < attempts && delay_ms < limits.retry_cap_ms; ++i) delay_ms *= 2;
  delay_ms = std::min(delay_ms, limits.retry_cap_ms);
  std::uniform_int_distribution<std::int64_t> jitter(0, delay_ms / 10);
  return delay_ms + jitter(random);
}

// The outcome is written by the single writer; this thread never writes itself.
void CallbackDeliverer::Impl::record(const storage::OutboxEvent& event, const std::shared_ptr<PendingWrites>& pending) {
  engine::Command command;
  command.changes_cached_rows = false;  // only its outbox row: the writer's cache stays
  command.apply = [event](storage::Store& store) {
    Status saved = store.outbox().update(event);
    if (!saved.ok()) log::error("callback_record_failed", {{"event_id", event.event_id}, {"reason", saved.error().reason}});
    return saved.ok();
  };
  command.done = [pending](bool) { pending->finish(); };
  pending->add();
  if (!services.writer.submit(std::move(command))) {
    // Queue full or writer stopped: the event stays as it was and is attempted again.
    pending->finish();
    log::warn("callback_record_refused", {{"event_id", event.event_id}});
  }
}

// Ids, type, status and error only: never the body (it holds the data and the signature).
void CallbackDeliverer::Impl::log_outcome(const storage::OutboxEvent& updated, const Attempt& outcome) {
  if (outcome.kind == Attempt::Kind::delivered) {
    log::info("callback_delivered", {{"event_id", updated.event_id}, {"merchant_id", updated.merchant_id},
                                     {"type", updated.event_type}, {"attempts", updated.attempts},
                                     {"http_status", outcome.http_status}});
    return;
  }
  const bool gave_up = updated.status == "failed";
  log::write(gave_up ? log::Level::error : log::Level::warn, gave_up ? "callback_failed" : "callback_attempt_failed",
             {{"event_id", updated.event_id}, {"merchant_id", updated.merchant_id}, {"type", updated.event_type},
              {"attempts", updated.attempts}, {"error", outcome.error}});
}

CallbackDeliverer::CallbackDeliverer(api::Services& services, DeliveryLimits limits)
    : impl_(std::make_unique<Impl>(services, limits)) {}

CallbackDeliverer::~CallbackDeliverer() { stop(); }

void CallbackDeliverer::start() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->thread.joinable() || impl_->stop_requested) return;
  impl_->thread = std::thread([impl = impl_.get()] { impl->loop(); });
}

void CallbackDeliverer::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stop_requested = true;
  }
  impl_->wakeup.notify_all();
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void CallbackDeliverer::wake() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->woken = true;
  }
  impl_->wakeup.notify_all();
}

}  // namespace issuerd::jobs
