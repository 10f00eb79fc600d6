#include "storage/outbox_store.h"

#include <initializer_list>

#include "storage/buffered_tables.h"
#include "storage/sql_values.h"
#include "storage/write_behind.h"

namespace issuerd::storage {

namespace {

constexpr const char* outbox_columns = outbox_table.columns;

OutboxEvent event_from(const Row& row) {
  return OutboxEvent{row.text(0),    row.text(1),          row.text(2),    row.text(3),
                     row.text(4),    row.integer(5),       row.integer(6), row.optional_text(7),
                     row.integer(8), row.optional_integer(9)};
}

std::vector<OutboxEvent> events_from(const std::vector<Row>& rows) {
  std::vector<OutboxEvent> events;
  events.reserve(rows.size());
  for (const Row& row : rows) events.push_back(event_from(row));
  return events;
}

}  // namespace

Status OutboxStore::insert(const OutboxEvent& e) {
  if (cache_ != nullptr && e.status == "pending") ++cache_->deliverable_callbacks_inserted;
  if (cache_ == nullptr || !cache_->serving()) return insert_row(db_, outbox_table, outbox_row(e));
  cache_->outbox.add(outbox_row(e));
  ++cache_->mutations;
  return Status::success();
}

Result<std::vector<OutboxEvent>> OutboxStore::due(std::int64_t now_ms, std::int64_t limit) {
  // The WHERE clause is served by the outbox_due index; ordering by creation keeps first
  // attempts in the order the events happened.
  ISSUERD_ASSIGN(auto rows, run_query(db_,
                                      std::string("SELECT ") + outbox_columns +
                                          " FROM outbox WHERE status = 'pending' AND next_attempt_at_ms <= ?"
                                          " ORDER BY created_at_ms, event_id LIMIT ?",
                                      {now_ms, limit}));
  return events_from(rows);
}

Status OutboxStore::update(const OutboxEvent& e) {
  ISSUERD_ASSIGN(std::int64_t changed,
                 run_execute(db_,
                             "UPDATE outbox SET status = ?, attempts = ?, next_attempt_at_ms = ?, last_error = ?, "
                             "delivered_at_ms = ? WHERE event_id = ?",
                             {e.status, e.attempts, e.next_attempt_at_ms, nullable(e.last_error),
                              nullable(e.delivered_at_ms), e.event_id}));
  if (changed == 0) return make_error(ErrorKind::not_found, "outbox_event_not_found", "no outbox event with this id");
  return Status::success();
}

Result<std::optional<OutboxEvent>> OutboxStore::find(const std::string& event_id) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, std::string("SELECT ") + outbox_columns + " FROM outbox WHERE event_id = ?",
                                      {event_id}));
  if (rows.empty()) return std::optional<OutboxEvent>();
  return std::optional<OutboxEvent>(event_from(rows[0]));
}

Result<std::vector<OutboxEvent>> OutboxStore::list_for_merchant(const std::string& merchant_id, std::int64_t limit) {
  ISSUERD_ASSIGN(auto rows, run_query(db_,
                                      std::string("SELECT ") + outbox_columns +
                                          " FROM outbox WHERE merchant_id = ?"
                                          " ORDER BY created_at_ms DESC, event_id DESC LIMIT ?",
                                      {merchant_id, limit}));
  return events_from(rows);
}

}  // namespace issuerd::storage
