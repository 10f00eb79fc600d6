#include "api/adpos/cards.h"

#include <algorithm>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/adpos/auth.h"
#include "api/adpos/cardbins.h"
#include "api/adpos/envelope.h"
#include "common/clock.h"
#include "common/currency.h"
#include "common/money.h"
#include "engine/card_issuing.h"

namespace issuerd::api::adpos {

namespace bj = boost::json;

namespace {

Error card_not_found() { return make_error(ErrorKind::not_found, "card_not_found", "Card not found."); }

bool is_shared(const storage::CardRecord& card) { return card.funding_kind == "merchant_main"; }

// What the card can spend now, read without creating accounts (this runs on a reader).
Result<std::int64_t> spendable_minor(storage::Store& store, const storage::CardRecord& card) {
  const bool shared = is_shared(card);
  ISSUERD_ASSIGN(auto account, store.find_account(shared ? domain::AccountKind::merchant_main : domain::AccountKind::card,
                                                  shared ? card.merchant_id : card.card_id, card.currency));
  std::int64_t spendable = account ? std::max<std::int64_t>(account->available_minor(), 0) : 0;
  if (card.cap_limit_minor) {
    spendable = std::min(spendable, std::max<std::int64_t>(*card.cap_limit_minor - card.cap_used_minor, 0));
  }
  return spendable;
}

bj::value amount_or_null(const std::optional<std::int64_t>& minor, const Currency& currency) {
  return minor ? bj::value(format_amount(*minor, currency)) : bj::value(nullptr);
}

bj::value rule_json(const storage::CardRecord& card, const Currency& currency) {
  if (!card.auto_topup_min_minor || !card.auto_topup_amount_minor) return nullptr;
  return bj::object{{"min_balance", format_amount(*card.auto_topup_min_minor, currency)},
                    {is_shared(card) ? "require_balance" : "topup_amount",
                     format_amount(*card.auto_topup_amount_minor, currency)}};
}

void put_shared_fields(bj::object& out, const storage::CardRecord& card, const Currency& currency) {
  if (!is_shared(card)) {
    out["shared_card_balance"] = nullptr;
    out["shared_card_balance_unlimit"] = nullptr;
    out["shared_card_balance_used"] = nullptr;
    return;
  }
  std::optional<std::int64_t> remaining;
  if (card.cap_limit_minor) remaining = std::max<std::int64_t>(*card.cap_limit_minor - card.cap_used_minor, 0);
  out["shared_card_balance"] = amount_or_null(remaining, currency);
  out["shared_card_balance_unlimit"] = card.cap_limit_minor ? 0 : 1;
  out["shared_card_balance_used"] = format_amount(card.cap_used_minor, currency);
}

Result<std::optional<std::int64_t>> single_limit_minor(storage::Store& store, const storage::CardRecord& card) {
  ISSUERD_ASSIGN(auto control, store.cards().find_control(card.card_id, "PURCHASE", "TRANSACTION"));
  if (!control || !control->active) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(control->amount_limit_minor);
}

Result<bj::object> card_json(storage::Store& store, const storage::CardRecord& card) {
  const Currency currency = *find_currency(card.currency);
  ISSUERD_ASSIGN(std::int64_t balance, spendable_minor(store, card));
  ISSUERD_ASSIGN(auto product, store.find_card_product(card.card_product_id));
  ISSUERD_ASSIGN(auto holder, store.cards().find_holder(card.merchant_id, card.user_id));
  ISSUERD_ASSIGN(auto single_limit, single_limit_minor(store, card));
  bj::object out{{"card_id", card.card_id},
                 {"card_number", engine::masked_pan(card)},
                 {"card_type", is_shared(card) ? "shared" : "standard"},
                 {"card_bin", product ? bj::value(card_bin_code(*product)) : bj::value(nullptr)},
                 {"currency", card.currency},
                 {"status", card.card_status},
                 {"balance", format_amount(balance, currency)}};
  put_shared_fields(out, card, currency);
  out["auto_topup"] = card.auto_topup_min_minor ? 1 : 0;
  out["auto_topup_rule"] = rule_json(card, currency);
  out["single_transaction_limit"] = amount_or_null(single_limit, currency);
  out["single_transaction_unlimit"] = single_limit ? 0 : 1;
  const bool named = holder && !holder->user_xid.empty();
  out["username"] = named ? bj::value(holder->user_xid) : bj::value(nullptr);
  out["created_at"] = format_rfc3339_ms(card.issued_at_ms);
  return out;
}

Result<bj::value> get_card(storage::Store& store, const storage::MerchantRecord& merchant, const http::Request&,
                           const http::PathParams& params) {
  ISSUERD_ASSIGN(auto card, store.cards().find_card(merchant.merchant_id, params.get("id")));
  if (!card || card->origin != "adpos") return card_not_found();
  ISSUERD_ASSIGN(bj::object out, card_json(store, *card));
  return bj::value(std::move(out));
}

Result<bj::value> list_cards(storage::Store& store, const storage::MerchantRecord& merchant,
                             const http::Request& request, const http::PathParams&) {
  ISSUERD_ASSIGN(json::Page page, read_list_page(request));
  ISSUERD_ASSIGN(auto ids, store.adpos().list_card_ids(merchant.merchant_id, page.offset(), page.size));
  ISSUERD_ASSIGN(std::int64_t total, store.adpos().count_cards(merchant.merchant_id));
  bj::array data;
  for (const std::string& id : ids) {
    ISSUERD_ASSIGN(auto card, store.cards().find_card(merchant.merchant_id, id));
    if (!card) continue;  // cards are never deleted; only a race with nothing could miss
    ISSUERD_ASSIGN(bj::object entry, card_json(store, *card));
    data.push_back(std::move(entry));
  }
  return bj::value(list_page(std::move(data), page, total));
}

}  // namespace

void register_card_routes(http::Router& router, Services& services) {
  router.add("GET", "/cards", read_route(services, list_cards));
  router.add("GET", "/cards/{id}", read_route(services, get_card));
}

}  // namespace issuerd::api::adpos
