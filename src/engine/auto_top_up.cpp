#include "engine/auto_top_up.h"

#include <algorithm>

#include <boost/json/object.hpp>

#include "common/currency.h"
#include "common/ids.h"
#include "common/money.h"
#include "engine/events.h"
#include "engine/funding.h"

namespace issuerd::engine {

namespace {

Status record(storage::Store& store, const storage::CardRecord& card, std::int64_t amount_minor, bool succeeded,
              std::int64_t now_ms) {
  ISSUERD_TRY(store.cards().insert_transaction(
      storage::top_up_transaction(next_id(), card, amount_minor, succeeded, std::nullopt, now_ms)));
  const boost::json::object data{{"card_id", card.card_id},
                                 {"amount", format_amount(amount_minor, *find_currency(card.currency))},
                                 {"currency", card.currency},
                                 {"status", succeeded ? "success" : "failed"},
                                 {"fail_reason", succeeded ? "" : "insufficient_main_balance"}};
  ISSUERD_TRY(enqueue_callback(store, card.merchant_id, "CARD_AUTO_TOP_UP", data, now_ms));
  return Status::success();
}

Status top_up_balance(storage::Store& store, const storage::CardRecord& card, std::int64_t now_ms) {
  const std::int64_t amount = *card.auto_topup_amount_minor;
  // A failed move must leave no trace but its record: try it in its own savepoint.
  ISSUERD_TRY(store.connection().savepoint("auto_top_up"));
  auto moved = post_transfer(store, {domain::AccountKind::merchant_main, card.merchant_id, card.currency},
                             {domain::AccountKind::card, card.card_id, card.currency}, amount, "auto_top_up",
                             card.card_id, now_ms);
  if (moved.ok()) {
    ISSUERD_TRY(store.connection().release_savepoint("auto_top_up"));
  } else {
    ISSUERD_TRY(store.connection().rollback_to_savepoint("auto_top_up"));
    ISSUERD_TRY(store.connection().release_savepoint("auto_top_up"));
    if (moved.error().reason != "insufficient_balance") return moved.take_error();
  }
  return record(store, card, amount, moved.ok(), now_ms);
}

}  // namespace

bool has_auto_top_up(const storage::CardRecord& card) {
  return card.auto_topup_min_minor && card.auto_topup_amount_minor;
}

Status apply_auto_top_up(storage::Store& store, const storage::CardRecord& card_now, std::int64_t now_ms) {
  if (!has_auto_top_up(card_now)) return Status::success();
  storage::CardRecord card = card_now;
  if (card.cap_limit_minor) {
    const std::int64_t remaining = *card.cap_limit_minor - card.cap_used_minor;
    if (remaining >= *card.auto_topup_min_minor) return Status::success();
    card.cap_limit_minor = card.cap_used_minor + *card.auto_topup_amount_minor;
    card.updated_at_ms = now_ms;
    return store.cards().update_card(card);
  }
  if (card.funding_kind != "card_balance") return Status::success();
  ISSUERD_ASSIGN(std::int64_t spendable, spendable_minor(store, card, now_ms));
  if (spendable >= *card.auto_topup_min_minor) return Status::success();
  return top_up_balance(store, card, now_ms);
}

}  // namespace issuerd::engine
