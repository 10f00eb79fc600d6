// The callback outbox: events written in the same transaction as the change that caused
// them, delivered to the merchant's webhook URL by jobs/outbox with retries.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/connection.h"

namespace issuerd::storage {

struct WriteBehind;  // write_behind.h

struct OutboxEvent {
  std::string event_id;
  std::string merchant_id;
  std::string event_type;   // APPLY_AUDIT, CARD_TOP_UP, CARD_BILL_TRANSACTION, WEBHOOK_TEST, ...
  std::string payload;      // JSON object text: the event's data
  std::string status;       // pending | delivered | failed
  std::int64_t attempts = 0;
  std::int64_t next_attempt_at_ms = 0;
  std::optional<std::string> last_error;
  std::int64_t created_at_ms = 0;
  std::optional<std::int64_t> delivered_at_ms;
};

class OutboxStore {
 public:
  // `cache`: the writer's hot rows (write_behind.h): served while it is hot, and forgotten
  // when written otherwise; nullptr for readers.
  explicit OutboxStore(Connection& connection, WriteBehind* cache = nullptr) : db_(connection), cache_(cache) {}
  Status insert(const OutboxEvent& event);
  // Pending events with next_attempt_at_ms <= now_ms, oldest first, at most `limit`.
  Result<std::vector<OutboxEvent>> due(std::int64_t now_ms, std::int64_t limit);
  // Writes status, attempts, next_attempt_at_ms, last_error and delivered_at_ms.
  Status update(const OutboxEvent& event);
  Result<std::optional<OutboxEvent>> find(const std::string& event_id);
  // A merchant's events, newest first (operators and tests).
  Result<std::vector<OutboxEvent>> list_for_merchant(const std::string& merchant_id, std::int64_t limit);

 private:
  Connection& db_;
  WriteBehind* cache_;
};

}  // namespace issuerd::storage
