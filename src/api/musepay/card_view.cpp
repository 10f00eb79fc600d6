#include "api/musepay/card_view.h"

#include "common/currency.h"
#include "common/money.h"
#include "engine/card_issuing.h"
#include "engine/funding.h"

namespace issuerd::api::musepay {

namespace bj = boost::json;

Result<storage::CardRecord> find_users_card(storage::Store& store, const std::string& merchant_id,
                                            const std::string& user_id, const std::string& card_id) {
  ISSUERD_ASSIGN(auto card, store.cards().find_card(merchant_id, card_id));
  if (!card || card->user_id != user_id) {
    return make_error(ErrorKind::not_found, "card_not_found", "no card with this card_id for this user_id");
  }
  return std::move(*card);
}

Result<std::int64_t> available_to_spend_minor(storage::Store& store, const storage::CardRecord& card,
                                              std::int64_t now_ms) {
  return engine::spendable_minor(store, card, now_ms);
}

Result<bj::object> card_json(storage::Store& store, const storage::CardRecord& card, std::int64_t now_ms) {
  const Currency currency = *find_currency(card.currency);
  ISSUERD_ASSIGN(std::int64_t available_minor, available_to_spend_minor(store, card, now_ms));
  ISSUERD_ASSIGN(auto daily, store.cards().find_control(card.card_id, "PURCHASE", "DAY"));
  bj::object out;
  out["user_id"] = card.user_id;
  out["card_id"] = card.card_id;
  out["phone_number"] = card.phone_number;
  out["phone_area_code"] = card.phone_area_code;
  out["product_id"] = card.card_product_id;
  out["card_level"] = card.card_level;
  out["card_network"] = card.network;
  out["card_type"] = card.form;
  out["currency"] = card.currency;
  out["card_no_last4"] = card.pan_last4;
  out["card_no_masked"] = engine::masked_pan(card);
  out["card_status"] = card.card_status;
  out["embossed_name"] = card.embossed_name ? bj::value(*card.embossed_name) : bj::value(nullptr);
  out["expiry_month"] = (card.expiry_month < 10 ? "0" : "") + std::to_string(card.expiry_month);
  out["expiry_year"] = std::to_string(card.expiry_year);
  out["issue_time"] = card.issued_at_ms;
  out["card_available_balance"] = format_amount(available_minor, currency);
  out["daily_purchaseLimit"] = daily && daily->active ? bj::value(format_amount(daily->amount_limit_minor, currency))
                                                      : bj::value(nullptr);
  out["enable_present_transaction"] = card.enable_present_transaction;
  out["enable_noPresent_transaction"] = card.enable_no_present_transaction;
  if (card.share_quota_id) out["share_quota_id"] = *card.share_quota_id;
  if (card.cap_limit_minor) {
    out["card_limit"] = format_amount(*card.cap_limit_minor, currency);
    out["card_limit_used"] = format_amount(card.cap_used_minor, currency);
  }
  if (card.replaced_by_card_id) out["replaced_by_card_id"] = *card.replaced_by_card_id;
  if (card.replaces_card_id) out["replaces_card_id"] = *card.replaces_card_id;
  return out;
}

}  // namespace issuerd::api::musepay
