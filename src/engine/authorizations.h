// The authorization lifecycle on the ledger, as the writer applies it:
// - authorize: decide (domain/authorization.h) and, when approved, hold the amount on the
//   card's funding source and count it in every window of the card, in one step;
//   a decline is recorded with its reason and moves nothing.
// - capture: post the hold to network settlement (an FX fee to fee revenue); a partial
//   capture releases the rest; above the hold by at most the product's tolerance.
// - reverse (whole or part) and expire: release the hold and give the window usage back.
// - refund: credit the source the money came from. Refunds do not give window usage back
//   (as at Stripe): a limit caps what was spent, not what was kept.
// Amounts of capture, reverse and linked refunds are in the transaction's own currency and
// converted at the authorization's rate.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "crypto/keys.h"
#include "domain/spend_controls.h"
#include "storage/store.h"

namespace issuerd::engine {

struct AcceptorInfo {
  std::optional<std::string> name;
  std::optional<std::string> mcc;
  std::optional<std::string> country;
};

struct AuthorizeInput {
  std::optional<std::string> merchant_scope;  // the calling merchant; nullopt for the admin
  std::optional<std::string> card_id;         // or the PAN:
  std::optional<std::string> pan;
  std::optional<std::int64_t> expiry_month;
  std::optional<std::int64_t> expiry_year;
  std::optional<std::string> cvv;
  std::int64_t amount_minor = 0;              // in `currency`
  std::string currency;
  domain::TransactionType type = domain::TransactionType::purchase;
  bool card_present = false;
  AcceptorInfo acceptor;
  std::int64_t now_ms = 0;
  // The request's Idempotency-Key, kept on the authorization (storage::keys_kept_on_authorizations).
  std::optional<storage::IdempotencyStamp> idempotency;
};

struct AuthorizationOutcome {
  storage::AuthorizationRecord authorization;
  std::optional<std::int64_t> available_after_minor;  // the funding source, when the card is known
};

Result<AuthorizationOutcome> authorize(storage::Store& store, const crypto::PlatformKeys& keys,
                                       const AuthorizeInput& input);

// The authorization as its first answer gave it (a replay of the request that made it):
// pending or declined, holding its amount or nothing, nothing captured or refunded.
Result<AuthorizationOutcome> first_answer(storage::Store& store, const std::string& authorization_id);

// `amount_text`: nullopt means the whole remaining hold.
Result<AuthorizationOutcome> capture(storage::Store& store, const std::optional<std::string>& merchant_scope,
                                     const std::string& authorization_id, const std::optional<std::string>& amount_text,
                                     std::int64_t now_ms);
Result<AuthorizationOutcome> reverse(storage::Store& store, const std::optional<std::string>& merchant_scope,
                                     const std::string& authorization_id, const std::optional<std::string>& amount_text,
                                     std::int64_t now_ms);
Result<AuthorizationOutcome> expire(storage::Store& store, const std::optional<std::string>& merchant_scope,
                                    const std::string& authorization_id, std::int64_t now_ms);

struct RefundInput {
  std::optional<std::string> merchant_scope;
  std::optional<std::string> authorization_id;  // a refund of a captured authorization, or
  std::optional<std::string> card_id;           // an unlinked refund to a card
  std::string amount_text;
  std::optional<std::string> currency;          // unlinked: must be the card's if given
  std::int64_t now_ms = 0;
};

struct RefundOutcome {
  std::string refund_id;
  std::string card_id;
  std::optional<std::string> authorization_id;
  std::int64_t amount_minor = 0;  // credited, card currency
  std::string currency;
  std::int64_t available_after_minor = 0;
};

Result<RefundOutcome> refund(storage::Store& store, const RefundInput& input);

// The authorization, if the caller may see it (not_found otherwise).
Result<storage::AuthorizationRecord> find_authorization(storage::Store& store,
                                                        const std::optional<std::string>& merchant_scope,
                                                        const std::string& authorization_id);

}  // namespace issuerd::engine
