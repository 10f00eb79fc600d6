// The authorization decision as pure logic: given the card, its controls with their window
// usage, and what its funding source has available, approve or decline with the ISO 8583
// field 39 response code. Checks run in order and the first failure wins:
//   card known (14); expiry (54) and CVV2 when given (82); card status (ACTIVE passes;
//   LOCK 62, CANCELED 46, or 41/43 when it was replaced as lost/stolen; others 05);
//   channel flags (57); every spend control of the transaction type (61); funds (51).
// Unit-tested without a database; the engine supplies the state and applies the result.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/spend_controls.h"

namespace issuerd::domain {

struct CardFacts {
  bool known = false;
  std::string status;                  // MusePay card status
  std::optional<std::string> status_reason;  // why it was canceled (LOST, STOLEN, ...)
  bool enable_present = true;
  bool enable_not_present = true;
  std::int64_t expiry_month = 0;       // 1..12
  std::int64_t expiry_year = 0;        // four digits
};

struct PresentedCredentials {
  std::optional<std::int64_t> expiry_month;  // as the terminal sent them
  std::optional<std::int64_t> expiry_year;
  std::optional<bool> cvv_matches;           // nullopt: no CVV was sent
};

struct ControlUsage {
  Period period = Period::day;
  TransactionType type = TransactionType::purchase;
  std::int64_t limit_minor = 0;
  std::int64_t used_minor = 0;  // in the current window; unused for TRANSACTION
};

struct AuthorizationAsk {
  TransactionType type = TransactionType::purchase;
  std::int64_t amount_minor = 0;  // in the card's currency, fees included
  bool card_present = false;
  std::int64_t now_ms = 0;
};

struct Decision {
  bool approved = false;
  std::string response_code;   // "00" when approved
  std::string decline_reason;  // "" when approved; stable snake_case otherwise
};

Decision decide(const CardFacts& card, const PresentedCredentials& presented, const std::vector<ControlUsage>& controls,
                std::int64_t funds_available_minor, const AuthorizationAsk& ask);

Decision declined(std::string response_code, std::string reason);

}  // namespace issuerd::domain
