// Authorizations and FX rates.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storage/connection.h"

namespace issuerd::storage {

struct WriteBehind;  // write_behind.h

// The simulator's authorizations keep their own Idempotency-Key (migration 0010): the key,
// its request hash and what the answer needs that the row does not otherwise hold. On a
// replay the answer is rebuilt from the row, as first given, and no idempotency_keys row
// is written for them (one row less per authorization; docs/benchmarks.md, the tenth
// session). Keys stored before that migration are still found in idempotency_keys.
inline constexpr std::string_view authorization_key_route = "/sim/v1/authorizations";
inline bool keys_kept_on_authorizations(std::string_view route) { return route == authorization_key_route; }

struct IdempotencyStamp {
  std::string scope;         // merchant id, or "admin"
  std::string key;
  std::string request_hash;  // keyed, as idempotency_keys.request_hash
};

struct AuthorizationRecord {
  std::string authorization_id;
  std::string merchant_id;
  std::string card_id;
  std::string status;  // APPROVED | DECLINED
  std::string state;   // pending | captured | reversed | expired | declined
  std::string transaction_type;
  std::string currency;
  std::int64_t amount_minor = 0;
  std::int64_t fx_fee_minor = 0;
  std::int64_t original_amount_minor = 0;
  std::string original_currency;
  std::optional<std::string> fx_rate;
  std::int64_t held_minor = 0;
  std::int64_t captured_minor = 0;
  std::int64_t refunded_minor = 0;
  std::int64_t counted_minor = 0;
  std::string response_code;
  std::optional<std::string> decline_reason;
  std::optional<std::string> merchant_name;
  std::optional<std::string> merchant_mcc;
  std::optional<std::string> merchant_country;
  bool card_present = false;
  std::string funding_kind;
  std::string funding_owner_id;
  std::optional<std::string> hold_transfer_id;
  std::string detail_id;  // of the CHARGE card transaction this authorization shows as
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  // What the CHARGE shows: the amount in the card's currency without the FX fee (0 when
  // declined before conversion; at capture, the captured amount), and when it was captured.
  std::int64_t charge_minor = 0;
  std::optional<std::int64_t> posted_at_ms;
  // The request's key (nullopt for authorizations made before migration 0010), and the
  // funding source's available amount in the first answer (nullopt when the card is unknown).
  std::optional<IdempotencyStamp> idempotency;
  std::optional<std::int64_t> available_after_minor;
};

class AuthorizationStore {
 public:
  // `cache`: the writer's hot rows (write_behind.h): served while it is hot, and forgotten
  // when written otherwise; nullptr for readers.
  explicit AuthorizationStore(Connection& connection, WriteBehind* cache = nullptr) : db_(connection), cache_(cache) {}
  Status insert(const AuthorizationRecord& authorization);
  // Writes the mutable columns: state, held, captured, refunded, counted, hold_transfer_id,
  // updated_at, charge and posted_at.
  Status update(const AuthorizationRecord& authorization);
  Result<std::optional<AuthorizationRecord>> find(const std::string& authorization_id);
  // What a card has used of one transaction type in [from_ms, to_ms).
  Result<std::int64_t> counted_in_window(const std::string& card_id, const std::string& transaction_type,
                                         std::int64_t from_ms, std::int64_t to_ms);

  // FX: the rate text for base -> quote, or nullopt.
  Result<std::optional<std::string>> fx_rate(const std::string& base, const std::string& quote);
  Status upsert_fx_rate(const std::string& base, const std::string& quote, const std::string& rate, std::int64_t now_ms);

 private:
  Connection& db_;
  WriteBehind* cache_;
};

}  // namespace issuerd::storage
