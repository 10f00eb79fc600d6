#include "engine/card_issuing.h"

#include "common/assert.h"
#include "common/ids.h"
#include "crypto/hashing.h"
#include "crypto/vault.h"
#include "domain/cards.h"

namespace issuerd::engine {

namespace {

constexpr int pan_attempts_max = 16;

// BIN + uniformly random digits + Luhn check digit, 16 digits in all.
std::string random_pan(const std::string& bin) {
  const std::size_t body_length = 15 - bin.size();
  std::string digits = bin;
  // 250 = 25 * 10: a byte below 250 maps onto a digit without bias; others are redrawn.
  std::string pool = crypto::random_bytes(body_length);
  std::size_t used = 0;
  while (digits.size() < 15) {
    if (used == pool.size()) {
      pool = crypto::random_bytes(body_length);
      used = 0;
    }
    const auto byte = static_cast<unsigned char>(pool[used++]);
    if (byte < 250) digits.push_back(static_cast<char>('0' + byte % 10));
  }
  digits.push_back(crypto::luhn_check_digit(digits));
  ISSUERD_ASSERT(crypto::luhn_valid(digits));
  return digits;
}

}  // namespace

Result<storage::CardRecord> issue_card(storage::Store& store, const crypto::PlatformKeys& keys, const CardIssue& issue,
                                       std::int64_t now_ms) {
  storage::CardRecord card;
  card.card_id = next_id();
  std::string pan;
  for (int attempt = 0; attempt < pan_attempts_max && pan.empty(); ++attempt) {
    std::string candidate = random_pan(issue.product.bin);
    ISSUERD_ASSIGN(auto taken, store.cards().find_card_by_pan_hash(crypto::pan_lookup_hash(keys.hmac_key, candidate)));
    if (!taken) pan = std::move(candidate);
  }
  if (pan.empty()) {
    return make_error(ErrorKind::unavailable, "pan_space_exhausted", "no unused card number could be drawn for this BIN");
  }
  card.merchant_id = issue.merchant_id;
  card.user_id = issue.user_id;
  card.card_product_id = issue.product.card_product_id;
  card.card_level = issue.card_level;
  card.network = issue.product.network;
  card.form = issue.product.form;
  card.currency = issue.product.currency;
  card.pan_sealed = crypto::aes_gcm_seal(keys.pan_key, pan, card.card_id);
  card.pan_lookup_hash = crypto::pan_lookup_hash(keys.hmac_key, pan);
  card.pan_first6 = pan.substr(0, 6);
  card.pan_last4 = pan.substr(pan.size() - 4);
  std::tie(card.expiry_month, card.expiry_year) = domain::expiry_after(now_ms, issue.product.expiry_years);
  card.embossed_name = issue.embossed_name;
  card.phone_number = issue.phone_number;
  card.phone_area_code = issue.phone_area_code;
  card.card_status = domain::initial_card_status(card.form, false);
  card.enable_present_transaction = true;
  card.enable_no_present_transaction = true;
  card.funding_kind = issue.funding_kind;
  card.share_quota_id = issue.share_quota_id;
  card.origin = issue.origin;
  // A shared-quota card spends nothing until its limit is set (the seed's Top-up API).
  if (card.funding_kind == "budget_quota") card.cap_limit_minor = 0;
  card.issued_at_ms = now_ms;
  card.updated_at_ms = now_ms;
  ISSUERD_TRY(store.cards().insert_card(card));
  if (card.funding_kind == "card_balance") {
    ISSUERD_TRY(store.find_or_create_account(domain::AccountKind::card, card.card_id, card.currency, now_ms));
  }
  return card;
}

Result<std::string> open_pan(const crypto::PlatformKeys& keys, const storage::CardRecord& card) {
  return crypto::aes_gcm_open(keys.pan_key, card.pan_sealed, card.card_id);
}

std::string masked_pan(const storage::CardRecord& card) { return card.pan_first6 + "******" + card.pan_last4; }

}  // namespace issuerd::engine
