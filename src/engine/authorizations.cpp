#include "engine/authorizations.h"

#include "common/assert.h"
#include "common/currency.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/money.h"
#include "common/rate.h"
#include "crypto/hashing.h"
#include "crypto/vault.h"
#include "domain/authorization.h"
#include "domain/ledger.h"
#include "engine/adpos_events.h"
#include "engine/auto_top_up.h"
#include "engine/card_issuing.h"
#include "engine/events.h"
#include "engine/funding.h"

namespace issuerd::engine {

using storage::AuthorizationRecord;
using storage::CardRecord;

namespace {

Error not_found() {
  return make_error(ErrorKind::not_found, "authorization_not_found", "no authorization with this id");
}

Error wrong_state(const AuthorizationRecord& a, const std::string& action) {
  return make_error(ErrorKind::failed_precondition, "invalid_authorization_state",
                    "cannot " + action + " an authorization that is " + a.state);
}

// ---- finding the card ----

std::optional<CardRecord> find_card(storage::Store& store, const crypto::PlatformKeys& keys, const AuthorizeInput& in,
                                    Status& failure) {
  // The admin may name any card; a merchant only its own (checked below for a PAN too).
  Result<std::optional<CardRecord>> found =
      in.card_id ? (in.merchant_scope ? store.cards().find_card(*in.merchant_scope, *in.card_id)
                                      : store.cards().find_card_by_id(*in.card_id))
      : in.pan   ? store.cards().find_card_by_pan_hash(crypto::pan_lookup_hash(keys.hmac_key, *in.pan))
                 : std::optional<CardRecord>();
  if (!found.ok()) { failure = found.take_error(); return std::nullopt; }
  std::optional<CardRecord>& card = *found;
  if (card && in.merchant_scope && card->merchant_id != *in.merchant_scope) return std::nullopt;
  return std::move(card);
}

Result<std::optional<bool>> cvv_matches(const crypto::PlatformKeys& keys, const CardRecord& card, const AuthorizeInput& in) {
  if (!in.cvv) return std::optional<bool>();
  ISSUERD_ASSIGN(std::string pan, open_pan(keys, card));
  const std::string yymm = std::to_string(card.expiry_year % 100 + 100).substr(1) +
                           std::to_string(card.expiry_month + 100).substr(1);
  const std::string expected = crypto::compute_cvv(keys.cvk, pan, yymm, "000");
  return std::optional<bool>(crypto::constant_time_equal(expected, *in.cvv));
}

// ---- amounts in the card's currency ----

struct CardAmount {
  std::int64_t total_minor = 0;  // what the card pays, fee included
  std::int64_t fee_minor = 0;
  std::optional<std::string> rate;
};

// The transaction amount in the card's currency plus the product's FX fee; nullopt when
// there is no rate for the pair (the authorization is then declined 05).
Result<std::optional<CardAmount>> to_card_amount(storage::Store& store, std::int64_t amount_minor,
                                                 const std::string& currency, const CardRecord& card,
                                                 const std::optional<std::string>& known_rate) {
  if (currency == card.currency) return std::optional<CardAmount>(CardAmount{amount_minor, 0, std::nullopt});
  std::optional<std::string> rate_text = known_rate;
  if (!rate_text) { ISSUERD_ASSIGN(rate_text, store.authorizations().fx_rate(currency, card.currency)); }
  if (!rate_text) return std::optional<CardAmount>();
  ISSUERD_ASSIGN(std::int64_t rate_ppb, parse_rate_ppb(*rate_text, "rate", INT64_MAX / 1000));
  ISSUERD_ASSIGN(auto product, store.find_card_product(card.card_product_id));
  ISSUERD_ASSERT(product.has_value());
  ISSUERD_ASSIGN(std::int64_t fee_ppb, parse_rate_ppb(product->fx_fee_rate, "fx_fee_rate", rate_one_ppb));
  ISSUERD_ASSIGN(std::int64_t converted, convert_minor(amount_minor, *find_currency(currency),
                                                       *find_currency(card.currency), rate_ppb));
  ISSUERD_ASSIGN(std::int64_t fee, apply_rate(converted, fee_ppb));
  std::int64_t total = 0;
  if (add_overflows(converted, fee, &total)) {
    return make_error(ErrorKind::invalid_argument, "amount_out_of_range", "amount is out of range", "amount");
  }
  return std::optional<CardAmount>(CardAmount{total, fee, rate_text});
}

// ---- window usage ----

Result<std::vector<domain::ControlUsage>> control_usage(storage::Store& store, const CardRecord& card,
                                                        domain::TransactionType type, std::int64_t now_ms) {
  ISSUERD_ASSIGN(auto controls, store.cards().list_controls(card.card_id));
  std::vector<domain::ControlUsage> usage;
  for (const auto& control : controls) {
    auto period = domain::parse_period(control.period);
    auto control_type = domain::parse_transaction_type(control.transaction_type);
    ISSUERD_ASSERT(period && control_type);
    if (!control.active || *control_type != type) continue;
    std::int64_t used = 0;
    if (*period != domain::Period::transaction) {
      const domain::Window window = domain::window_at(*period, now_ms);
      ISSUERD_ASSIGN(used, store.authorizations().counted_in_window(card.card_id, control.transaction_type,
                                                                    window.start_ms, window.end_ms));
    }
    usage.push_back(domain::ControlUsage{*period, type, control.amount_limit_minor, used});
  }
  return usage;
}

// ---- the ledger side ----

Result<domain::Account> load(storage::Store& store, const AccountRef& ref, std::int64_t now_ms) {
  return store.find_or_create_account(ref.kind, ref.owner_id, ref.currency, now_ms);
}

AccountRef settlement(const std::string& currency) { return {domain::AccountKind::network_settlement, "", currency}; }

AccountRef funding_of(const AuthorizationRecord& a) {
  const auto kind = domain::parse_account_kind(a.funding_kind);
  ISSUERD_ASSERT(kind.has_value());
  return {*kind, a.funding_owner_id, a.currency};
}

// Replaces the authorization's pending hold transfer by one of `held_minor` (none when 0).
Status rewrite_hold(storage::Store& store, AuthorizationRecord& a, domain::Account& funding, std::int64_t now_ms) {
  if (a.hold_transfer_id) ISSUERD_TRY(store.set_transfer_status(*a.hold_transfer_id, domain::TransferStatus::voided));
  a.hold_transfer_id.reset();
  if (a.held_minor == 0) return Status::success();
  ISSUERD_ASSIGN(domain::Account settle, load(store, settlement(a.currency), now_ms));
  domain::Transfer hold{next_id(), funding.account_id, settle.account_id, a.held_minor, a.currency, "authorization",
                        domain::TransferStatus::pending, a.authorization_id, now_ms};
  ISSUERD_TRY(store.insert_transfer(hold));
  a.hold_transfer_id = hold.transfer_id;
  return Status::success();
}

Status post(storage::Store& store, domain::Account& from, const AccountRef& to_ref, std::int64_t amount_minor,
            const std::string& kind, const std::string& reference, std::int64_t now_ms) {
  if (amount_minor == 0) return Status::success();
  ISSUERD_ASSIGN(domain::Account to, load(store, to_ref, now_ms));
  ISSUERD_TRY(domain::post(from, to, amount_minor));
  ISSUERD_TRY(store.save_account(to));
  return store.insert_transfer(domain::Transfer{next_id(), from.account_id, to.account_id, amount_minor, from.currency,
                                                kind, domain::TransferStatus::posted, reference, now_ms});
}

// ---- what merchants see ----

// Written as text: one per authorization, on the writer thread.
std::string bill_event(const AuthorizationRecord& a, const std::string& tx_type, const std::string& tx_status,
                       std::int64_t amount_minor) {
  const Currency currency = *find_currency(a.currency);
  const Currency original = *find_currency(a.original_currency);
  json::ObjectText authorization;
  authorization.add_text("amount", format_amount(a.original_amount_minor, original))
      .add_text("currency", a.original_currency);
  json::ObjectText event;
  event.add_text("card_id", a.card_id)
      .add_text("authorization_id", a.authorization_id)
      .add_text("detailId", a.detail_id)
      .add_text("txType", tx_type)
      .add_text("txStatus", tx_status)
      .add_text("txAmount", format_amount(amount_minor, currency))
      .add_text("txCurrency", a.currency)
      .add_object("authorization", std::move(authorization))
      .add_text("response_code", a.response_code);
  return event.finish();
}

// The MusePay-shaped CARD_BILL_TRANSACTION, and for cards AdPos issued, AdPos's own shape.
Status notify(storage::Store& store, const AuthorizationRecord& a, const CardRecord& card, const std::string& tx_type,
              const std::string& tx_status, std::int64_t amount_minor, std::int64_t now_ms) {
  ISSUERD_TRY(enqueue_callback_text(store, a.merchant_id, "CARD_BILL_TRANSACTION",
                                    bill_event(a, tx_type, tx_status, amount_minor), now_ms));
  if (card.origin != "adpos") return Status::success();
  return emit_adpos_transaction(store, a, card, tx_type, tx_status, amount_minor, now_ms);
}

Status record_card_transaction(storage::Store& store, const AuthorizationRecord& a, const CardRecord& card,
                               const std::string& tx_type, const std::string& tx_status, std::int64_t amount_minor,
                               const std::string& detail_id, std::int64_t now_ms) {
  storage::CardTransactionRecord tx;
  tx.detail_id = detail_id;
  tx.merchant_id = a.merchant_id;
  tx.card_id = card.card_id;
  tx.user_id = card.user_id;
  tx.tx_type = tx_type;
  tx.tx_status = tx_status;
  tx.amount_minor = amount_minor;
  tx.currency = a.currency;
  tx.merchant_name = a.merchant_name;
  tx.merchant_mcc = a.merchant_mcc;
  tx.merchant_country = a.merchant_country;
  tx.auth_amount_minor = a.original_amount_minor;
  tx.auth_currency = a.original_currency;
  tx.created_at_ms = now_ms;
  if (tx_status == "POSTED") tx.posted_at_ms = now_ms;
  ISSUERD_TRY(store.cards().insert_transaction(tx));
  return notify(store, a, card, tx_type, tx_status, amount_minor, now_ms);
}

// An authorization's CHARGE card transaction is the authorization row itself (migration
// 0009): this sets what it shows and tells the merchant.
Status record_charge(storage::Store& store, AuthorizationRecord& a, const CardRecord& card,
                     const std::string& tx_status, std::int64_t charge_minor, std::int64_t now_ms) {
  a.charge_minor = charge_minor;
  return notify(store, a, card, "CHARGE", tx_status, charge_minor, now_ms);
}

Result<std::int64_t> available(storage::Store& store, const AccountRef& ref, std::int64_t now_ms) {
  ISSUERD_ASSIGN(domain::Account account, load(store, ref, now_ms));
  return account.available_minor();
}

AuthorizationRecord new_record(const AuthorizeInput& in) {
  AuthorizationRecord a;
  a.authorization_id = next_id();
  a.merchant_id = in.merchant_scope.value_or("");
  a.transaction_type = domain::transaction_type_name(in.type);
  a.currency = in.currency;
  a.amount_minor = in.amount_minor;
  a.original_amount_minor = in.amount_minor;
  a.original_currency = in.currency;
  a.merchant_name = in.acceptor.name;
  a.merchant_mcc = in.acceptor.mcc;
  a.merchant_country = in.acceptor.country;
  a.card_present = in.card_present;
  a.created_at_ms = a.updated_at_ms = in.now_ms;
  a.idempotency = in.idempotency;
  return a;
}

void mark_declined(AuthorizationRecord& a, const domain::Decision& decision) {
  a.status = "DECLINED";
  a.state = "declined";
  a.response_code = decision.response_code;
  a.decline_reason = decision.decline_reason;
}

// Decides for a known card and, when approved, holds and counts the amount (`card`, the
// caller's copy, then shows the use of its card limit). Sets what the funding account has
// available after it where it has that account at hand.
Status decide_for_card(storage::Store& store, const crypto::PlatformKeys& keys, const AuthorizeInput& in,
                       CardRecord& card, AuthorizationRecord& a) {
  a.merchant_id = card.merchant_id;
  a.card_id = card.card_id;
  a.currency = card.currency;
  a.detail_id = next_id();
  ISSUERD_ASSIGN(FundingSource funding_info, funding_source(store, card));
  const AccountRef source = funding_info.account;
  a.funding_kind = domain::account_kind_name(source.kind);
  a.funding_owner_id = source.owner_id;
  auto converted = to_card_amount(store, in.amount_minor, in.currency, card, std::nullopt);
  if (!converted.ok() && converted.error().reason == "amount_out_of_range") {
    mark_declined(a, domain::declined("13", "amount_out_of_range"));
    return record_charge(store, a, card, "REJECT", 0, in.now_ms);
  }
  ISSUERD_ASSIGN(auto amount, std::move(converted));
  if (!amount) {
    mark_declined(a, domain::declined("05", "no_fx_rate"));
    return record_charge(store, a, card, "REJECT", 0, in.now_ms);
  }
  if (amount->total_minor <= 0) {
    // Worth less than one minor unit of the card's currency: ISO 8583 13, invalid amount.
    mark_declined(a, domain::declined("13", "amount_below_minor_unit"));
    return record_charge(store, a, card, "REJECT", 0, in.now_ms);
  }
  a.amount_minor = amount->total_minor;
  a.fx_fee_minor = amount->fee_minor;
  a.fx_rate = amount->rate;
  ISSUERD_ASSIGN(auto cvv, cvv_matches(keys, card, in));
  ISSUERD_ASSIGN(auto usage, control_usage(store, card, in.type, in.now_ms));
  ISSUERD_ASSIGN(domain::Account funding, load(store, source, in.now_ms));
  const std::int64_t spendable = spendable_minor(card, funding);
  const domain::CardFacts facts{true, card.card_status, card.status_reason, card.enable_present_transaction,
                                card.enable_no_present_transaction, card.expiry_month, card.expiry_year};
  domain::Decision decision = domain::decide(facts, {in.expiry_month, in.expiry_year, cvv}, usage, spendable,
                                             {in.type, a.amount_minor, in.card_present, in.now_ms});
  // A frozen quota blocks its cards like a restriction on the card (62), once the card
  // itself has passed its own checks.
  if (decision.approved && funding_info.frozen) decision = domain::declined("62", "quota_frozen");
  if (!decision.approved) {
    mark_declined(a, decision);
    a.available_after_minor = funding.available_minor();
    return record_charge(store, a, card, "REJECT", a.amount_minor - a.fx_fee_minor, in.now_ms);
  }
  ISSUERD_TRY(domain::hold(funding, a.amount_minor));
  ISSUERD_TRY(store.save_account(funding));
  ISSUERD_TRY(adjust_cap_use(store, card, a.amount_minor, in.now_ms));
  a.status = "APPROVED";
  a.state = "pending";
  a.response_code = "00";
  a.held_minor = a.counted_minor = a.amount_minor;
  ISSUERD_TRY(rewrite_hold(store, a, funding, in.now_ms));
  ISSUERD_TRY(record_charge(store, a, card, "PENDING", a.amount_minor - a.fx_fee_minor, in.now_ms));
  ISSUERD_TRY(apply_auto_top_up(store, card, in.now_ms));
  // A top-up may have moved money into the funding account: the caller reads it again then.
  if (!has_auto_top_up(card)) a.available_after_minor = funding.available_minor();
  return Status::success();
}

Result<CardRecord> card_of(storage::Store& store, const AuthorizationRecord& a) {
  ISSUERD_ASSIGN(auto card, store.cards().find_card(a.merchant_id, a.card_id));
  ISSUERD_ASSERT(card.has_value());
  return std::move(*card);
}

// The card-currency total (fee included) of a transaction-currency amount, for captures,
// reversals and refunds, at the authorization's own rate.
Result<CardAmount> amount_for(storage::Store& store, const AuthorizationRecord& a, const CardRecord& card,
                              const std::string& amount_text) {
  ISSUERD_ASSIGN(std::int64_t minor, parse_amount_minor(amount_text, *find_currency(a.original_currency),
                                                       AmountSign::positive));
  ISSUERD_ASSIGN(auto amount, to_card_amount(store, minor, a.original_currency, card, a.fx_rate));
  ISSUERD_ASSERT(amount.has_value());
  if (amount->total_minor <= 0) {
    return make_error(ErrorKind::invalid_argument, "amount_below_minor_unit",
                      "amount is worth less than one minor unit of the card's currency", "amount");
  }
  return *amount;
}

// The answer with the funding source's availability the row kept (moved, not copied: the
// writer builds one per authorization).
AuthorizationOutcome kept_outcome(AuthorizationRecord&& a) {
  const std::optional<std::int64_t> available_after_minor = a.available_after_minor;
  return AuthorizationOutcome{std::move(a), available_after_minor};
}

Result<AuthorizationOutcome> outcome(storage::Store& store, const AuthorizationRecord& a, std::int64_t now_ms) {
  ISSUERD_ASSIGN(std::int64_t after, available(store, funding_of(a), now_ms));
  return AuthorizationOutcome{a, after};
}

// Releases `release_minor` of the hold (asserted to be held) and its window usage.
Status release_part(storage::Store& store, AuthorizationRecord& a, std::int64_t release_minor, std::int64_t now_ms) {
  ISSUERD_ASSERT(release_minor > 0 && release_minor <= a.held_minor);
  ISSUERD_ASSIGN(domain::Account funding, load(store, funding_of(a), now_ms));
  domain::release(funding, release_minor);
  ISSUERD_TRY(store.save_account(funding));
  a.held_minor -= release_minor;
  a.counted_minor -= release_minor;
  ISSUERD_ASSIGN(CardRecord card, card_of(store, a));
  ISSUERD_TRY(adjust_cap_use(store, card, -release_minor, now_ms));
  return rewrite_hold(store, a, funding, now_ms);
}

Result<AuthorizationOutcome> release_hold(storage::Store& store, const std::optional<std::string>& scope,
                                          const std::string& id, const std::optional<std::string>& amount_text,
                                          const std::string& closed_state, std::int64_t now_ms) {
  ISSUERD_ASSIGN(AuthorizationRecord a, find_authorization(store, scope, id));
  if (a.state != "pending") return wrong_state(a, closed_state == "expired" ? "expire" : "reverse");
  ISSUERD_ASSIGN(CardRecord card, card_of(store, a));
  std::int64_t release_minor = a.held_minor;
  if (amount_text) {
    ISSUERD_ASSIGN(CardAmount amount, amount_for(store, a, card, *amount_text));
    if (amount.total_minor > a.held_minor) {
      return make_error(ErrorKind::invalid_argument, "amount_exceeds_hold", "amount is more than is still held", "amount");
    }
    release_minor = amount.total_minor;
  }
  ISSUERD_TRY(release_part(store, a, release_minor, now_ms));
  if (a.held_minor == 0) a.state = closed_state;  // its CHARGE shows as CANCELED
  a.updated_at_ms = now_ms;
  ISSUERD_TRY(store.authorizations().update(a));
  ISSUERD_TRY(notify(store, a, card, "CHARGE", a.held_minor == 0 ? "CANCELED" : "PENDING", release_minor, now_ms));
  return outcome(store, a, now_ms);
}

}  // namespace

Result<AuthorizationRecord> find_authorization(storage::Store& store, const std::optional<std::string>& scope,
                                               const std::string& authorization_id) {
  ISSUERD_ASSIGN(auto found, store.authorizations().find(authorization_id));
  if (!found || (scope && found->merchant_id != *scope)) return not_found();
  return std::move(*found);
}

Result<AuthorizationOutcome> authorize(storage::Store& store, const crypto::PlatformKeys& keys,
                                       const AuthorizeInput& in) {
  AuthorizationRecord a = new_record(in);
  Status failure;
  std::optional<CardRecord> card = find_card(store, keys, in, failure);
  if (!failure.ok()) return failure.take_error();
  if (!card) {
    mark_declined(a, domain::declined("14", "card_unknown"));
    a.funding_kind = domain::account_kind_name(domain::AccountKind::card);
  } else {
    ISSUERD_TRY(decide_for_card(store, keys, in, *card, a));
    // Kept with the row: a replay's answer is rebuilt from it (first_answer). The decision
    // set it unless it declined before loading the funding account or a top-up ran.
    if (!a.available_after_minor) {
      ISSUERD_ASSIGN(a.available_after_minor, available(store, funding_of(a), in.now_ms));
    }
  }
  ISSUERD_TRY(store.authorizations().insert(a));
  return kept_outcome(std::move(a));
}

Result<AuthorizationOutcome> first_answer(storage::Store& store, const std::string& authorization_id) {
  ISSUERD_ASSIGN(auto found, store.authorizations().find(authorization_id));
  ISSUERD_ASSERT(found.has_value());  // its key was found on it
  AuthorizationRecord a = std::move(*found);
  const bool approved = a.status == "APPROVED";
  a.state = approved ? "pending" : "declined";
  a.held_minor = approved ? a.amount_minor : 0;
  a.captured_minor = 0;
  a.refunded_minor = 0;
  return kept_outcome(std::move(a));
}

Result<AuthorizationOutcome> capture(storage::Store& store, const std::optional<std::string>& scope,
                                     const std::string& id, const std::optional<std::string>& amount_text,
                                     std::int64_t now_ms) {
  ISSUERD_ASSIGN(AuthorizationRecord a, find_authorization(store, scope, id));
  if (a.state != "pending") return wrong_state(a, "capture");
  ISSUERD_ASSIGN(CardRecord card, card_of(store, a));
  // The whole remaining hold by default, its fee share in proportion.
  CardAmount amount{a.held_minor, a.amount_minor == 0 ? 0 : a.fx_fee_minor * a.held_minor / a.amount_minor, a.fx_rate};
  if (amount_text) {
    ISSUERD_ASSIGN(amount, amount_for(store, a, card, *amount_text));
    ISSUERD_ASSIGN(auto product, store.find_card_product(card.card_product_id));
    ISSUERD_ASSIGN(std::int64_t tolerance_ppb,
                   parse_rate_ppb(product->capture_tolerance_rate, "capture_tolerance_rate", rate_one_ppb));
    ISSUERD_ASSIGN(std::int64_t tolerance_minor, apply_rate(a.amount_minor, tolerance_ppb));
    if (amount.total_minor > a.held_minor + tolerance_minor) {
      return make_error(ErrorKind::invalid_argument, "amount_exceeds_tolerance",
                        "amount is more than the authorization plus the product's capture tolerance", "amount");
    }
  }
  ISSUERD_ASSIGN(domain::Account funding, load(store, funding_of(a), now_ms));
  ISSUERD_TRY(adjust_cap_use(store, card, amount.total_minor - a.held_minor, now_ms));
  domain::release(funding, a.held_minor);
  ISSUERD_TRY(post(store, funding, settlement(a.currency), amount.total_minor - amount.fee_minor, "capture",
                   a.authorization_id, now_ms));
  ISSUERD_TRY(post(store, funding, {domain::AccountKind::fee_revenue, "", a.currency}, amount.fee_minor, "fx_fee",
                   a.authorization_id, now_ms));
  ISSUERD_TRY(store.save_account(funding));
  a.held_minor = 0;
  ISSUERD_TRY(rewrite_hold(store, a, funding, now_ms));
  a.state = "captured";
  a.captured_minor = a.counted_minor = amount.total_minor;
  a.updated_at_ms = now_ms;
  a.posted_at_ms = now_ms;
  ISSUERD_TRY(record_charge(store, a, card, "POSTED", amount.total_minor - amount.fee_minor, now_ms));
  ISSUERD_TRY(store.authorizations().update(a));
  if (amount.fee_minor > 0) {
    ISSUERD_TRY(record_card_transaction(store, a, card, "FEE", "POSTED", amount.fee_minor, next_id(), now_ms));
  }
  ISSUERD_TRY(apply_auto_top_up(store, card, now_ms));
  return outcome(store, a, now_ms);
}

Result<AuthorizationOutcome> reverse(storage::Store& store, const std::optional<std::string>& scope,
                                     const std::string& id, const std::optional<std::string>& amount_text,
                                     std::int64_t now_ms) {
  return release_hold(store, scope, id, amount_text, "reversed", now_ms);
}

Result<AuthorizationOutcome> expire(storage::Store& store, const std::optional<std::string>& scope,
                                    const std::string& id, std::int64_t now_ms) {
  return release_hold(store, scope, id, std::nullopt, "expired", now_ms);
}

Result<RefundOutcome> refund(storage::Store& store, const RefundInput& in) {
  RefundOutcome result;
  result.refund_id = next_id();
  std::optional<AuthorizationRecord> a;
  CardRecord card;
  if (in.authorization_id) {
    ISSUERD_ASSIGN(a, find_authorization(store, in.merchant_scope, *in.authorization_id));
    if (a->state != "captured") return wrong_state(*a, "refund");
    if (in.currency && *in.currency != a->original_currency) {
      return make_error(ErrorKind::invalid_argument, "currency_mismatch",
                        "a refund is in the authorization's currency (" + a->original_currency + ")", "currency");
    }
    ISSUERD_ASSIGN(card, card_of(store, *a));
    ISSUERD_ASSIGN(CardAmount amount, amount_for(store, *a, card, in.amount_text));
    // The FX fee is not refunded: only the converted amount goes back.
    result.amount_minor = amount.total_minor - amount.fee_minor;
    if (result.amount_minor > a->captured_minor - a->fx_fee_minor * a->captured_minor / std::max<std::int64_t>(a->amount_minor, 1) - a->refunded_minor) {
      return make_error(ErrorKind::invalid_argument, "amount_exceeds_captured", "amount is more than is left to refund",
                        "amount");
    }
  } else {
    if (!in.card_id) return make_error(ErrorKind::invalid_argument, "missing_field", "send authorization_id or card_id", "card_id");
    auto found = in.merchant_scope ? store.cards().find_card(*in.merchant_scope, *in.card_id)
                                   : Result<std::optional<CardRecord>>(std::optional<CardRecord>());
    if (!found.ok()) return found.take_error();
    if (!*found) return make_error(ErrorKind::not_found, "card_not_found", "no card with this card_id");
    card = std::move(**found);
    if (in.currency && *in.currency != card.currency) {
      return make_error(ErrorKind::invalid_argument, "currency_mismatch", "currency must be the card's", "currency");
    }
    ISSUERD_ASSIGN(result.amount_minor, parse_amount_minor(in.amount_text, *find_currency(card.currency),
                                                           AmountSign::positive));
  }
  ISSUERD_ASSIGN(FundingSource funding_info, funding_source(store, card));
  const AccountRef source = funding_info.account;
  // A refund gives the card's cap back too: the money is back in its source.
  ISSUERD_TRY(adjust_cap_use(store, card, -result.amount_minor, in.now_ms));
  ISSUERD_ASSIGN(domain::Account settle, load(store, settlement(card.currency), in.now_ms));
  ISSUERD_TRY(post(store, settle, source, result.amount_minor, "refund", result.refund_id, in.now_ms));
  ISSUERD_TRY(store.save_account(settle));
  AuthorizationRecord view;
  if (a) {
    a->refunded_minor += result.amount_minor;
    a->updated_at_ms = in.now_ms;
    ISSUERD_TRY(store.authorizations().update(*a));
    view = *a;
  } else {
    view.merchant_id = card.merchant_id;
    view.card_id = card.card_id;
    view.currency = view.original_currency = card.currency;
    view.original_amount_minor = result.amount_minor;
    view.authorization_id = "";
    view.response_code = "00";
  }
  ISSUERD_TRY(record_card_transaction(store, view, card, "REFUND", "POSTED", result.amount_minor, result.refund_id,
                                      in.now_ms));
  result.card_id = card.card_id;
  result.authorization_id = in.authorization_id;
  result.currency = card.currency;
  ISSUERD_ASSIGN(result.available_after_minor, available(store, source, in.now_ms));
  return result;
}

}  // namespace issuerd::engine
