// Callbacks (webhooks) to merchants through the outbox table (storage/outbox_store.h).
//
// An event is written by enqueue_callback() in the same transaction as the change that
// caused it, so a callback exists exactly when its change committed. CallbackDeliverer
// then POSTs it to the merchant's webhook URL and records the outcome: in MusePay's
// RSA-signed envelope, except AdPos events (ADPOS_TRANSACTION, and CARD_AUTO_TOP_UP of
// AdPos cards), which go out as the bare data with an X-AdPos-Signature HMAC header. Delivery is at least once: an event whose outcome could not be
// recorded (crash, failed commit, shutdown mid-request) is sent again, with the same
// event_id, so merchants deduplicate on event_id.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <boost/json/object.hpp>

#include "api/shared/services.h"
#include "common/result.h"
#include "storage/store.h"

namespace issuerd::jobs {

// Writes a pending callback for `merchant_id`. Call it on the writer thread, inside the
// command that makes the change (engine::Command::apply), with that command's Store.
//
// `data` becomes the callback's "data" object verbatim and is stored in plain text: it
// must NEVER hold a PAN, CVV, PIN, key or credential (masked card numbers and ids only).
//
// `now_ms` is the event's creation time. Pass the wall clock (wall_clock_ms()): the
// 24 h age limit is measured against it. The first attempt is due at once whatever
// `now_ms` says, so a test clock set ahead never holds a callback back.
Status enqueue_callback(storage::Store& store, const std::string& merchant_id, const std::string& event_type,
                        const boost::json::object& data, std::int64_t now_ms);
// The same, returning the new event's id.
Result<std::string> enqueue_callback_with_id(storage::Store& store, const std::string& merchant_id,
                                             const std::string& event_type, const boost::json::object& data,
                                             std::int64_t now_ms);

struct DeliveryLimits {
  std::int64_t poll_interval_ms = 200;          // idle wait between polls (wake() cuts it short)
  std::int64_t batch_max = 100;                 // events read per poll
  std::int64_t attempts_max = 12;               // then the event is "failed"
  std::int64_t age_max_ms = 24LL * 3600 * 1000; // an event older than this fails on its next failure
  std::int64_t retry_base_ms = 1000;            // first retry delay; doubles per attempt
  std::int64_t retry_cap_ms = 3600LL * 1000;    // longest retry delay
  std::int64_t http_timeout_ms = 5000;          // connect + send + response header, per attempt
};

// One background thread delivering due callbacks sequentially. It reads through
// services.readers and writes only by submitting Commands to services.writer, waiting for
// its own writes to commit before it polls again (so it never sends an event twice
// because its "delivered" mark was still in the writer's queue).
//
// Success is any 2xx. A failure (no webhook URL, connection error, timeout, non-2xx)
// counts an attempt and reschedules after exponential backoff with jitter; after
// attempts_max attempts, or once the event is older than age_max_ms, it becomes "failed".
// Within one poll, after a merchant's delivery fails its later events wait for the next
// poll, so one dead endpoint costs at most one timeout per poll and order is kept.
//
// Only http:// URLs are delivered; https:// fails with last_error "https_not_supported"
// (see outbox.cpp).
//
// start/stop/wake are thread-safe. stop() interrupts an HTTP attempt in flight (that
// event stays pending and is sent again later) and must run before the writer stops.
class CallbackDeliverer {
 public:
  explicit CallbackDeliverer(api::Services& services, DeliveryLimits limits = {});
  ~CallbackDeliverer();  // stops
  CallbackDeliverer(const CallbackDeliverer&) = delete;
  CallbackDeliverer& operator=(const CallbackDeliverer&) = delete;

  void start();
  void stop();
  // Polls now instead of at the end of the idle wait.
  void wake();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace issuerd::jobs
