#include "domain/cards.h"

#include <ctime>


namespace issuerd::domain {

const char* card_action_name(CardAction action) {
  switch (action) {
    case CardAction::activate: return "activate";
    case CardAction::activate_physical: return "activate-physical";
    case CardAction::lock: return "lock";
    case CardAction::unlock: return "unlock";
    case CardAction::cancel: return "cancel";
    case CardAction::update_phone: return "update-phone";
  }
  return "?";
}

Result<std::string> next_card_status(std::string_view status, std::string_view form, CardAction action) {
  auto refuse = [&](std::string why) -> Result<std::string> {
    return make_error(ErrorKind::failed_precondition, "invalid_card_status",
                      std::string("cannot ") + card_action_name(action) + " a card in status " + std::string(status) +
                          (why.empty() ? "" : ": " + why));
  };
  switch (action) {
    case CardAction::activate_physical:
      if (form != "physical") return refuse("it is not a physical card");
      [[fallthrough]];
    case CardAction::activate:
      if (status == card_pending_active) return std::string(card_active);
      return refuse(status == card_active ? "it is already active" : "");
    case CardAction::lock:
      if (status == card_active) return std::string(card_locked);
      return refuse(status == card_locked ? "it is already locked" : "");
    case CardAction::unlock:
      if (status == card_locked) return std::string(card_active);
      return refuse("only a locked card can be unlocked");
    case CardAction::cancel:
    case CardAction::update_phone:
      if (status == card_canceled) return refuse("it is canceled");
      return std::string(action == CardAction::cancel ? card_canceled : status);
  }
  return refuse("");
}

std::string initial_card_status(std::string_view form, bool virtual_needs_activation) {
  if (form == "physical" || virtual_needs_activation) return card_pending_active;
  return card_active;
}

bool is_replace_reason(std::string_view reason) {
  return reason == "LOST" || reason == "STOLEN" || reason == "DAMAGED" || reason == "EXPIRED" || reason == "OTHER";
}

std::pair<std::int64_t, std::int64_t> expiry_after(std::int64_t issued_at_ms, std::int64_t years) {
  const std::time_t seconds = static_cast<std::time_t>(issued_at_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return {utc.tm_mon + 1, utc.tm_year + 1900 + years};
}

}  // namespace issuerd::domain
