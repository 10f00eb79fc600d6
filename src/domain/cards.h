// Card rules as pure logic: the status machine, replace reasons, expiry and PAN layout.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"

namespace issuerd::domain {

// MusePay's card statuses (VENDOR-NOTES.md).
inline constexpr const char* card_init = "INIT";
inline constexpr const char* card_pending_issue = "PENDING_ISSUE";
inline constexpr const char* card_pending_active = "PENDING_ACTIVE";
inline constexpr const char* card_active = "ACTIVE";
inline constexpr const char* card_locked = "LOCK";
inline constexpr const char* card_suspended = "SUSPENDED";
inline constexpr const char* card_canceled = "CANCELED";

enum class CardAction { activate, activate_physical, lock, unlock, cancel, update_phone };
const char* card_action_name(CardAction action);

// The status a card moves to, or failed_precondition "invalid_card_status" naming the
// status that forbids it:
//   activate           PENDING_ACTIVE -> ACTIVE (virtual or physical)
//   activate_physical  PENDING_ACTIVE -> ACTIVE (physical cards only)
//   lock               ACTIVE -> LOCK
//   unlock             LOCK -> ACTIVE
//   cancel             any but CANCELED -> CANCELED
//   update_phone       any but CANCELED -> unchanged
Result<std::string> next_card_status(std::string_view status, std::string_view form, CardAction action);

// The status a newly issued card starts in: physical cards wait for activation; virtual
// cards are ACTIVE unless the product asks for activation.
std::string initial_card_status(std::string_view form, bool virtual_needs_activation);

// LOST, STOLEN, DAMAGED, EXPIRED, OTHER.
bool is_replace_reason(std::string_view reason);

// Cards expire at the end of the month `years` after issue: (month 1-12, four-digit year).
std::pair<std::int64_t, std::int64_t> expiry_after(std::int64_t issued_at_ms, std::int64_t years);

}  // namespace issuerd::domain
