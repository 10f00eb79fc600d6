#include "storage/adpos_store.h"

#include "storage/sql_values.h"

namespace issuerd::storage {

namespace {

// The seed's example task id is 12001: ids start just after 12000.
constexpr std::int64_t task_id_floor = 12000;

constexpr const char* task_columns =
    "task_id, merchant_id, request_id, status, request_json, requested, created_count, failed_count, "
    "created_at_ms, updated_at_ms";

AdposTaskRecord task_from(const Row& r) {
  return AdposTaskRecord{r.integer(0), r.text(1),    r.optional_text(2), r.text(3),    r.text(4),
                         r.integer(5), r.integer(6), r.integer(7),       r.integer(8), r.integer(9)};
}

constexpr const char* item_columns = "task_id, item_index, status, card_id, fail_reason, created_at_ms";

AdposTaskItemRecord item_from(const Row& r) {
  return AdposTaskItemRecord{r.integer(0),       r.integer(1),       r.text(2),
                             r.optional_text(3), r.optional_text(4), r.integer(5)};
}

Result<std::optional<AdposTaskRecord>> first_task(Result<std::vector<Row>> rows) {
  if (!rows.ok()) return rows.take_error();
  if (rows->empty()) return std::optional<AdposTaskRecord>();
  return std::optional<AdposTaskRecord>(task_from(rows->front()));
}

}  // namespace

Result<std::int64_t> AdposStore::next_task_id() {
  ISSUERD_ASSIGN(auto rows, run_query(db_, "SELECT COALESCE(MAX(task_id), CAST(? AS BIGINT)) FROM adpos_tasks",
                                      {task_id_floor}));
  return rows[0].integer(0) + 1;
}

Status AdposStore::insert_task(const AdposTaskRecord& t) {
  ISSUERD_TRY(run_execute(db_, std::string("INSERT INTO adpos_tasks (") + task_columns +
                                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          {t.task_id, t.merchant_id, nullable(t.request_id), t.status, t.request_json, t.requested,
                           t.created_count, t.failed_count, t.created_at_ms, t.updated_at_ms}));
  return Status::success();
}

Status AdposStore::update_task(const AdposTaskRecord& t) {
  ISSUERD_TRY(run_execute(db_, "UPDATE adpos_tasks SET status = ?, created_count = ?, failed_count = ?, "
                               "updated_at_ms = ? WHERE task_id = ?",
                          {t.status, t.created_count, t.failed_count, t.updated_at_ms, t.task_id}));
  return Status::success();
}

Result<std::optional<AdposTaskRecord>> AdposStore::find_task(std::int64_t task_id) {
  return first_task(
      run_query(db_, std::string("SELECT ") + task_columns + " FROM adpos_tasks WHERE task_id = ?", {task_id}));
}

Result<std::optional<AdposTaskRecord>> AdposStore::find_task(const std::string& merchant_id, std::int64_t task_id) {
  return first_task(run_query(
      db_, std::string("SELECT ") + task_columns + " FROM adpos_tasks WHERE merchant_id = ? AND task_id = ?",
      {merchant_id, task_id}));
}

Result<std::vector<AdposTaskRecord>> AdposStore::list_tasks(const std::string& merchant_id, std::int64_t offset,
                                                            std::int64_t limit) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, std::string("SELECT ") + task_columns +
                                               " FROM adpos_tasks WHERE merchant_id = ? "
                                               "ORDER BY created_at_ms DESC, task_id DESC LIMIT ? OFFSET ?",
                                      {merchant_id, limit, offset}));
  std::vector<AdposTaskRecord> tasks;
  for (const Row& row : rows) tasks.push_back(task_from(row));
  return tasks;
}

Result<std::int64_t> AdposStore::count_tasks(const std::string& merchant_id) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, "SELECT COUNT(*) FROM adpos_tasks WHERE merchant_id = ?", {merchant_id}));
  return rows[0].integer(0);
}

Status AdposStore::insert_item(const AdposTaskItemRecord& i) {
  ISSUERD_TRY(run_execute(db_, std::string("INSERT INTO adpos_task_items (") + item_columns +
                                   ") VALUES (?, ?, ?, ?, ?, ?)",
                          {i.task_id, i.item_index, i.status, nullable(i.card_id), nullable(i.fail_reason),
                           i.created_at_ms}));
  return Status::success();
}

Result<std::vector<AdposTaskItemRecord>> AdposStore::list_items(std::int64_t task_id) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, std::string("SELECT ") + item_columns +
                                               " FROM adpos_task_items WHERE task_id = ? ORDER BY item_index",
                                      {task_id}));
  std::vector<AdposTaskItemRecord> items;
  for (const Row& row : rows) items.push_back(item_from(row));
  return items;
}

Status AdposStore::insert_access_token(const AccessTokenRecord& t) {
  ISSUERD_TRY(run_execute(db_, "INSERT INTO access_tokens (token_hash, merchant_id, expires_at_ms, created_at_ms) "
                               "VALUES (?, ?, ?, ?)",
                          {t.token_hash, t.merchant_id, t.expires_at_ms, t.created_at_ms}));
  return Status::success();
}

Result<std::optional<AccessTokenRecord>> AdposStore::find_access_token(const std::string& token_hash) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, "SELECT token_hash, merchant_id, expires_at_ms, created_at_ms "
                                           "FROM access_tokens WHERE token_hash = ?",
                                      {token_hash}));
  if (rows.empty()) return std::optional<AccessTokenRecord>();
  const Row& r = rows[0];
  return std::optional<AccessTokenRecord>(AccessTokenRecord{r.text(0), r.text(1), r.integer(2), r.integer(3)});
}

Status AdposStore::delete_expired_access_tokens(const std::string& merchant_id, std::int64_t now_ms) {
  ISSUERD_TRY(run_execute(db_, "DELETE FROM access_tokens WHERE merchant_id = ? AND expires_at_ms <= ?",
                          {merchant_id, now_ms}));
  return Status::success();
}

Result<std::optional<std::string>> AdposStore::webhook_secret(const std::string& merchant_id) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, "SELECT webhook_secret FROM merchants WHERE merchant_id = ?", {merchant_id}));
  if (rows.empty()) return std::optional<std::string>();
  return rows[0].optional_text(0);
}

Status AdposStore::set_webhook_secret(const std::string& merchant_id, const std::string& secret_hex) {
  ISSUERD_TRY(run_execute(db_, "UPDATE merchants SET webhook_secret = ? WHERE merchant_id = ?", {secret_hex, merchant_id}));
  return Status::success();
}

Result<std::vector<std::string>> AdposStore::list_card_ids(const std::string& merchant_id, std::int64_t offset,
                                                           std::int64_t limit) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, "SELECT card_id FROM cards WHERE merchant_id = ? AND origin = 'adpos' "
                                           "ORDER BY issued_at_ms DESC, card_id DESC LIMIT ? OFFSET ?",
                                      {merchant_id, limit, offset}));
  std::vector<std::string> ids;
  for (const Row& row : rows) ids.push_back(row.text(0));
  return ids;
}

Result<std::int64_t> AdposStore::count_cards(const std::string& merchant_id) {
  ISSUERD_ASSIGN(auto rows, run_query(db_, "SELECT COUNT(*) FROM cards WHERE merchant_id = ? AND origin = 'adpos'",
                                      {merchant_id}));
  return rows[0].integer(0);
}

}  // namespace issuerd::storage
