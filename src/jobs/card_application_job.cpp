#include "jobs/card_application_job.h"

#include <algorithm>

#include <boost/json/object.hpp>

#include "common/ids.h"
#include "domain/cards.h"
#include "engine/card_issuing.h"
#include "engine/transfers.h"
#include "jobs/outbox.h"

namespace issuerd::jobs {

namespace {

using storage::CardApplicationRecord;

// Why an application cannot be issued now, or nullopt when it can.
Result<std::optional<std::string>> refusal_reason(storage::Store& store, const CardApplicationRecord& application,
                                                  const std::optional<storage::CardProductRecord>& product) {
  ISSUERD_ASSIGN(auto holder, store.cards().find_holder(application.merchant_id, application.user_id));
  if (!holder) return std::optional<std::string>("card holder not found");
  if (holder->status != "ACTIVE" || holder->kyc_status != "PASSED") {
    return std::optional<std::string>("card holder is not active with KYC passed");
  }
  if (!product) return std::optional<std::string>("card product not found");
  const auto& allowed = product->merchant_ids;
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), application.merchant_id) == allowed.end()) {
    return std::optional<std::string>("card product not available to this partner");
  }
  if (application.kind == "apply") {
    ISSUERD_ASSIGN(std::int64_t live, store.cards().count_live_cards(application.merchant_id, application.user_id,
                                                                    application.card_product_id));
    if (live > 0) return std::optional<std::string>("the holder already has a card of this product");
  }
  return std::optional<std::string>();
}

// Moves what the original card has available, its limits and channel flags to the new card,
// and cancels the original.
Status carry_over(storage::Store& store, storage::CardRecord& original, storage::CardRecord& replacement,
                  const std::string& reason, std::int64_t now_ms) {
  if (original.funding_kind == "card_balance") {
    ISSUERD_ASSIGN(auto account, store.find_account(domain::AccountKind::card, original.card_id, original.currency));
    if (account && account->available_minor() > 0) {
      ISSUERD_TRY(engine::post_transfer(store, {domain::AccountKind::card, original.card_id, original.currency},
                                        {domain::AccountKind::card, replacement.card_id, replacement.currency},
                                        account->available_minor(), "replacement", original.card_id, now_ms));
    }
  }
  ISSUERD_ASSIGN(auto controls, store.cards().list_controls(original.card_id));
  for (storage::SpendControlRecord control : controls) {
    control.card_id = replacement.card_id;
    control.created_at_ms = control.updated_at_ms = now_ms;
    ISSUERD_TRY(store.cards().upsert_control(control));
  }
  // A capped card's replacement may spend what the original had left.
  if (original.cap_limit_minor) {
    replacement.cap_limit_minor = std::max<std::int64_t>(*original.cap_limit_minor - original.cap_used_minor, 0);
  }
  replacement.enable_present_transaction = original.enable_present_transaction;
  replacement.enable_no_present_transaction = original.enable_no_present_transaction;
  replacement.replaces_card_id = original.card_id;
  ISSUERD_TRY(store.cards().update_card(replacement));
  original.card_status = domain::card_canceled;
  original.status_reason = reason;
  original.replaced_by_card_id = replacement.card_id;
  original.updated_at_ms = now_ms;
  return store.cards().update_card(original);
}

Result<storage::CardRecord> issue_for(storage::Store& store, const crypto::PlatformKeys& keys,
                                      const CardApplicationRecord& application,
                                      const storage::CardProductRecord& product, std::int64_t now_ms) {
  engine::CardIssue issue;
  issue.merchant_id = application.merchant_id;
  issue.user_id = application.user_id;
  issue.product = product;
  issue.card_level = application.card_level;
  issue.phone_number = application.phone_number;
  issue.phone_area_code = application.phone_area_code;
  issue.embossed_name = application.embossed_name;
  if (application.share_quota_id) {
    issue.funding_kind = "budget_quota";
    issue.share_quota_id = application.share_quota_id;
  }
  ISSUERD_ASSIGN(storage::CardRecord card, engine::issue_card(store, keys, issue, now_ms));
  if (application.kind == "replace") {
    ISSUERD_ASSIGN(auto original, store.cards().find_card(application.merchant_id, *application.original_card_id));
    if (!original) return make_error(ErrorKind::internal, "original_card_missing", "the card being replaced is gone");
    ISSUERD_TRY(carry_over(store, *original, card, *application.replace_reason, now_ms));
  }
  return card;
}

}  // namespace

Status process_card_application(storage::Store& store, const crypto::PlatformKeys& keys,
                                const storage::JobRecord& job, std::int64_t now_ms) {
  ISSUERD_ASSIGN(auto found, store.cards().find_application(job.subject_id));
  if (!found || found->apply_status != "APPLYING") return Status::success();  // already settled
  CardApplicationRecord application = std::move(*found);
  ISSUERD_ASSIGN(auto product, store.find_card_product(application.card_product_id));
  ISSUERD_ASSIGN(auto refusal, refusal_reason(store, application, product));
  if (refusal) {
    application.apply_status = "AUDIT_REFUSE";
    application.refuse_reason = *refusal;
  } else {
    ISSUERD_ASSIGN(storage::CardRecord card, issue_for(store, keys, application, *product, now_ms));
    application.apply_status = "AUDIT_PASS";
    application.card_id = card.card_id;
  }
  application.updated_at_ms = now_ms;
  ISSUERD_TRY(store.cards().update_application(application));
  boost::json::object data{{"apply_id", application.apply_id},
                           {"request_id", application.request_id},
                           {"user_id", application.user_id},
                           {"apply_status", application.apply_status}};
  if (application.card_id) data["card_id"] = *application.card_id;
  if (application.refuse_reason) data["refuse_reason"] = *application.refuse_reason;
  return enqueue_callback(store, application.merchant_id, "APPLY_AUDIT", data, now_ms);
}

}  // namespace issuerd::jobs
