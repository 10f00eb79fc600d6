#include "domain/authorization.h"

#include <ctime>

#include "common/assert.h"

namespace issuerd::domain {

Decision declined(std::string response_code, std::string reason) {
  return Decision{false, std::move(response_code), std::move(reason)};
}

namespace {

// A card is valid through the last day of its expiry month (UTC).
bool expired(const CardFacts& card, std::int64_t now_ms) {
  const std::time_t seconds = static_cast<std::time_t>(now_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  const std::int64_t now_months = (utc.tm_year + 1900) * 12 + utc.tm_mon;
  return now_months > card.expiry_year * 12 + (card.expiry_month - 1);
}

std::optional<Decision> check_credentials(const CardFacts& card, const PresentedCredentials& presented,
                                          std::int64_t now_ms) {
  if (expired(card, now_ms)) return declined("54", "card_expired");
  if (presented.expiry_month && presented.expiry_year) {
    const std::int64_t year = *presented.expiry_year < 100 ? 2000 + *presented.expiry_year : *presented.expiry_year;
    if (*presented.expiry_month != card.expiry_month || year != card.expiry_year) return declined("54", "expiry_mismatch");
  }
  if (presented.cvv_matches && !*presented.cvv_matches) return declined("82", "cvv_mismatch");
  return std::nullopt;
}

std::optional<Decision> check_status(const CardFacts& card) {
  if (card.status == "ACTIVE") return std::nullopt;
  if (card.status == "LOCK") return declined("62", "card_locked");
  if (card.status == "CANCELED") {
    if (card.status_reason == "LOST") return declined("41", "card_lost");
    if (card.status_reason == "STOLEN") return declined("43", "card_stolen");
    return declined("46", "card_canceled");
  }
  return declined("05", "card_not_active");
}

std::optional<Decision> check_controls(const std::vector<ControlUsage>& controls, const AuthorizationAsk& ask) {
  for (const ControlUsage& control : controls) {
    if (control.type != ask.type) continue;
    const std::int64_t counted = control.period == Period::transaction ? 0 : control.used_minor;
    // Overflow-safe "counted + amount > limit".
    if (ask.amount_minor > control.limit_minor - counted) {
      return declined("61", std::string("exceeds_") + period_name(control.period) + "_limit");
    }
  }
  return std::nullopt;
}

}  // namespace

Decision decide(const CardFacts& card, const PresentedCredentials& presented, const std::vector<ControlUsage>& controls,
                std::int64_t funds_available_minor, const AuthorizationAsk& ask) {
  ISSUERD_ASSERT(ask.amount_minor > 0);
  if (!card.known) return declined("14", "card_unknown");
  if (auto failed = check_credentials(card, presented, ask.now_ms)) return *failed;
  if (auto failed = check_status(card)) return *failed;
  if (ask.card_present ? !card.enable_present : !card.enable_not_present) return declined("57", "channel_disabled");
  if (auto failed = check_controls(controls, ask)) return *failed;
  if (ask.amount_minor > funds_available_minor) return declined("51", "insufficient_funds");
  return Decision{true, "00", ""};
}

}  // namespace issuerd::domain
