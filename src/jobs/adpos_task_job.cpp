#include "jobs/adpos_task_job.h"

#include <charconv>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "common/ids.h"
#include "common/json.h"
#include "engine/card_issuing.h"
#include "engine/transfers.h"

namespace issuerd::jobs {

namespace bj = boost::json;

namespace {

constexpr const char* card_savepoint = "adpos_task_card";

void put_optional(bj::object& out, std::string_view name, const std::optional<std::int64_t>& value) {
  out[name] = value ? bj::value(*value) : bj::value(nullptr);
}

// The holder that receives the task's cards: the merchant's holder with this user_xid,
// created (KYC passed, as MusePay's create does) when new.
Result<storage::CardHolderRecord> holder_for(storage::Store& store, const std::string& merchant_id,
                                             const std::string& user_xid, std::int64_t now_ms) {
  ISSUERD_ASSIGN(auto existing, store.cards().find_holder_by_xid(merchant_id, user_xid));
  if (existing) return std::move(*existing);
  storage::CardHolderRecord holder;
  holder.user_id = next_id();
  holder.merchant_id = merchant_id;
  holder.user_xid = user_xid;
  holder.kyc_status = "PASSED";
  holder.status = "ACTIVE";
  holder.created_at_ms = now_ms;
  ISSUERD_TRY(store.cards().insert_holder(holder));
  return holder;
}

// Main account -> card, recorded as the card's first TOP_UP transaction.
Status fund_card(storage::Store& store, const storage::CardRecord& card, std::int64_t amount_minor,
                 std::int64_t now_ms) {
  auto posted = engine::post_transfer(store, {domain::AccountKind::merchant_main, card.merchant_id, card.currency},
                                      {domain::AccountKind::card, card.card_id, card.currency}, amount_minor, "top_up",
                                      card.card_id, now_ms);
  if (!posted.ok()) {
    if (posted.error().reason != "insufficient_balance") return posted.take_error();
    return make_error(ErrorKind::failed_precondition, "insufficient_main_balance",
                      "the main account has too little for every_card_top_up_amount");
  }
  return store.cards().insert_transaction(
      storage::top_up_transaction(next_id(), card, amount_minor, true, std::nullopt, now_ms));
}

// One card of the task, complete; the caller's savepoint undoes it all on failure.
Result<storage::CardRecord> issue_one(storage::Store& store, const crypto::PlatformKeys& keys,
                                      const AdposCardRequest& request, const storage::CardProductRecord& product,
                                      const storage::CardHolderRecord& holder, std::int64_t now_ms) {
  const bool shared = request.card_type == "shared";
  engine::CardIssue issue;
  issue.merchant_id = holder.merchant_id;
  issue.user_id = holder.user_id;
  issue.product = product;
  issue.card_level = product.card_level;
  issue.funding_kind = shared ? "merchant_main" : "card_balance";
  issue.origin = "adpos";
  ISSUERD_ASSIGN(storage::CardRecord card, engine::issue_card(store, keys, issue, now_ms));
  if (shared) card.cap_limit_minor = request.shared_cap_minor;
  card.auto_topup_min_minor = request.auto_topup_min_minor;
  card.auto_topup_amount_minor = request.auto_topup_amount_minor;
  ISSUERD_TRY(store.cards().update_card(card));
  if (!shared && request.every_card_top_up_minor > 0) {
    ISSUERD_TRY(fund_card(store, card, request.every_card_top_up_minor, now_ms));
  }
  if (request.single_transaction_limit_minor) {
    // The same control MusePay's limitChange and HashDT's card/limit write, per transaction.
    ISSUERD_TRY(store.cards().upsert_control(storage::SpendControlRecord{
        card.card_id, "PURCHASE", "TRANSACTION", *request.single_transaction_limit_minor, card.currency, true, now_ms,
        now_ms}));
  }
  return card;
}

// A failure that belongs to the database, not to this card: the whole run is retried.
bool is_infrastructure(const Error& error) {
  return error.kind == ErrorKind::unavailable || error.kind == ErrorKind::internal;
}

// Tries one card in its own savepoint; returns the item to record.
Result<storage::AdposTaskItemRecord> attempt_card(storage::Store& store, const crypto::PlatformKeys& keys,
                                                  const storage::AdposTaskRecord& task, const AdposCardRequest& request,
                                                  const storage::CardProductRecord& product,
                                                  const storage::CardHolderRecord& holder, std::int64_t index,
                                                  std::int64_t now_ms) {
  storage::AdposTaskItemRecord item{task.task_id, index, "created", std::nullopt, std::nullopt, now_ms};
  storage::Connection& db = store.connection();
  ISSUERD_TRY(db.savepoint(card_savepoint));
  auto card = issue_one(store, keys, request, product, holder, now_ms);
  if (card.ok()) {
    ISSUERD_TRY(db.release_savepoint(card_savepoint));
    item.card_id = card->card_id;
    return item;
  }
  ISSUERD_TRY(db.rollback_to_savepoint(card_savepoint));
  ISSUERD_TRY(db.release_savepoint(card_savepoint));
  if (is_infrastructure(card.error()) && card.error().reason != "pan_space_exhausted") return card.take_error();
  item.status = "failed";
  item.fail_reason = card.error().reason + ": " + card.error().message;
  return item;
}

// Why no card of the task can be issued, or nullopt when they can.
std::optional<std::string> refusal(const std::optional<storage::CardProductRecord>& product,
                                   const storage::CardHolderRecord& holder) {
  if (!product) return "card_product_missing: the card product is gone";
  if (holder.status != "ACTIVE" || holder.kyc_status != "PASSED") {
    return "holder_not_active: the card holder is not active with KYC passed";
  }
  return std::nullopt;
}

std::string final_status(const storage::AdposTaskRecord& task) {
  if (task.failed_count == 0) return "completed";
  if (task.created_count == 0) return "failed";
  return "partially_failed";
}

Result<std::int64_t> task_id_of(const storage::JobRecord& job) {
  std::int64_t id = 0;
  const std::string& text = job.subject_id;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return make_error(ErrorKind::internal, "bad_task_id", "the job names no task id");
  }
  return id;
}

}  // namespace

std::string to_json_text(const AdposCardRequest& r) {
  bj::object out{{"num", r.num},
                 {"card_type", r.card_type},
                 {"card_product_id", r.card_product_id},
                 {"card_bin", r.card_bin},
                 {"currency", r.currency},
                 {"every_card_top_up_minor", r.every_card_top_up_minor},
                 {"username", r.username ? bj::value(*r.username) : bj::value(nullptr)}};
  put_optional(out, "auto_topup_min_minor", r.auto_topup_min_minor);
  put_optional(out, "auto_topup_amount_minor", r.auto_topup_amount_minor);
  put_optional(out, "shared_cap_minor", r.shared_cap_minor);
  put_optional(out, "single_transaction_limit_minor", r.single_transaction_limit_minor);
  return bj::serialize(out);
}

Result<AdposCardRequest> adpos_request_from_json(std::string_view text) {
  ISSUERD_ASSIGN(bj::object in, json::parse_object(text));
  AdposCardRequest r;
  ISSUERD_ASSIGN(r.num, json::required_integer(in, "num"));
  ISSUERD_ASSIGN(r.card_type, json::required_string(in, "card_type"));
  ISSUERD_ASSIGN(r.card_product_id, json::required_string(in, "card_product_id"));
  ISSUERD_ASSIGN(r.card_bin, json::required_string(in, "card_bin"));
  ISSUERD_ASSIGN(r.currency, json::required_string(in, "currency"));
  ISSUERD_ASSIGN(r.every_card_top_up_minor, json::required_integer(in, "every_card_top_up_minor"));
  ISSUERD_ASSIGN(r.username, json::optional_string(in, "username"));
  ISSUERD_ASSIGN(r.auto_topup_min_minor, json::optional_integer(in, "auto_topup_min_minor"));
  ISSUERD_ASSIGN(r.auto_topup_amount_minor, json::optional_integer(in, "auto_topup_amount_minor"));
  ISSUERD_ASSIGN(r.shared_cap_minor, json::optional_integer(in, "shared_cap_minor"));
  ISSUERD_ASSIGN(r.single_transaction_limit_minor, json::optional_integer(in, "single_transaction_limit_minor"));
  return r;
}

Status process_adpos_task(storage::Store& store, const crypto::PlatformKeys& keys, const storage::JobRecord& job,
                          std::int64_t now_ms) {
  ISSUERD_ASSIGN(std::int64_t task_id, task_id_of(job));
  ISSUERD_ASSIGN(auto found, store.adpos().find_task(task_id));
  if (!found || found->status != "pending") return Status::success();  // already settled
  storage::AdposTaskRecord task = std::move(*found);
  ISSUERD_ASSIGN(AdposCardRequest request, adpos_request_from_json(task.request_json));
  ISSUERD_ASSIGN(auto product, store.find_card_product(request.card_product_id));
  ISSUERD_ASSIGN(storage::CardHolderRecord holder,
                 holder_for(store, task.merchant_id, request.username.value_or(adpos_default_user_xid), now_ms));
  const std::optional<std::string> refused = refusal(product, holder);
  for (std::int64_t index = 0; index < request.num; ++index) {
    storage::AdposTaskItemRecord item{task.task_id, index, "failed", std::nullopt, refused, now_ms};
    if (!refused) { ISSUERD_ASSIGN(item, attempt_card(store, keys, task, request, *product, holder, index, now_ms)); }
    ISSUERD_TRY(store.adpos().insert_item(item));
    ++(item.status == "created" ? task.created_count : task.failed_count);
  }
  task.status = final_status(task);
  task.updated_at_ms = now_ms;
  return store.adpos().update_task(task);
}

}  // namespace issuerd::jobs
