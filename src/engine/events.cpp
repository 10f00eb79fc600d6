#include "engine/events.h"

#include <boost/json/serialize.hpp>

#include "common/ids.h"

namespace issuerd::engine {

Result<std::string> enqueue_callback(storage::Store& store, const std::string& merchant_id,
                                     const std::string& event_type, const boost::json::object& data,
                                     std::int64_t now_ms) {
  return enqueue_callback_text(store, merchant_id, event_type, boost::json::serialize(data), now_ms);
}

Result<std::string> enqueue_callback_text(storage::Store& store, const std::string& merchant_id,
                                          const std::string& event_type, std::string data_json, std::int64_t now_ms) {
  storage::OutboxEvent event;
  event.payload = std::move(data_json);
  if (event_type.empty() || event_type.size() > callback_type_bytes_max ||
      event.payload.size() > callback_payload_bytes_max) {
    return make_error(ErrorKind::invalid_argument, "invalid_callback", "callback type or data out of bounds");
  }
  event.event_id = next_id();
  event.merchant_id = merchant_id;
  event.event_type = event_type;
  // With no webhook URL there is nowhere to send it: it is kept (GET .../events lists it)
  // but never attempted, as Stripe sends events only to endpoints that exist when they happen.
  ISSUERD_ASSIGN(const bool deliverable, store.merchant_has_webhook(merchant_id));
  event.status = deliverable ? "pending" : "failed";
  if (!deliverable) event.last_error = "no_webhook_url";
  event.next_attempt_at_ms = 0;  // due at once, whatever clock the caller's now_ms came from
  event.created_at_ms = now_ms;
  ISSUERD_TRY(store.outbox().insert(event));
  return event.event_id;
}

}  // namespace issuerd::engine
