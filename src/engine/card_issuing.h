// Issuing a card: a unique PAN from the product's BIN, sealed in the vault, an expiry, the
// starting status, and (for a card that holds its own money) a balance account. Runs on
// the writer thread inside the command that needs it.
#pragma once

#include <cstdint>
#include <string>

#include "crypto/keys.h"
#include "storage/store.h"

namespace issuerd::engine {

struct CardIssue {
  std::string merchant_id;
  std::string user_id;
  storage::CardProductRecord product;
  std::string card_level;
  std::string phone_number;
  std::string phone_area_code;
  std::optional<std::string> embossed_name;
  std::string funding_kind = "card_balance";  // card_balance | budget_quota | merchant_main
  std::optional<std::string> share_quota_id;
  std::string origin = "musepay";  // the dialect issuing it: musepay | hashdt | adpos
};

Result<storage::CardRecord> issue_card(storage::Store& store, const crypto::PlatformKeys& keys, const CardIssue& issue,
                                       std::int64_t now_ms);

// The PAN of a card, opened from the vault (only for the one-time sensitive-info URL and
// the network simulator; never logged).
Result<std::string> open_pan(const crypto::PlatformKeys& keys, const storage::CardRecord& card);

// "424242******4242": the only form of a PAN shown anywhere else.
std::string masked_pan(const storage::CardRecord& card);

}  // namespace issuerd::engine
