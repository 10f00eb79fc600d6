#include "engine/adpos_events.h"

#include <boost/json/object.hpp>

#include "common/clock.h"
#include "common/currency.h"
#include "common/money.h"
#include "engine/card_issuing.h"
#include "engine/events.h"

namespace issuerd::engine {

namespace bj = boost::json;

namespace {

struct AdposStep {
  const char* status;
  const char* transaction_type;
  const char* billing_status;
};

// How a card-transaction step reads in AdPos's vocabulary; nullopt for steps it has none for.
std::optional<AdposStep> step_of(const storage::AuthorizationRecord& a, const std::string& tx_type,
                                 const std::string& tx_status) {
  if (tx_type == "CHARGE" && tx_status == "PENDING") return AdposStep{"approved", "authorization", "pending"};
  if (tx_type == "CHARGE" && tx_status == "REJECT") return AdposStep{"declined", "authorization", "declined"};
  if (tx_type == "CHARGE" && tx_status == "POSTED") return AdposStep{"approved", "authorization", "processed"};
  if (tx_type == "CHARGE" && tx_status == "CANCELED") {
    return AdposStep{"approved", "reversal", a.state == "expired" ? "void" : "released"};
  }
  if (tx_type == "REFUND") return AdposStep{"approved", "reversal", "processed"};
  return std::nullopt;
}

}  // namespace

Status emit_adpos_transaction(storage::Store& store, const storage::AuthorizationRecord& a,
                              const storage::CardRecord& card, const std::string& tx_type,
                              const std::string& tx_status, std::int64_t amount_minor, std::int64_t now_ms) {
  const auto step = step_of(a, tx_type, tx_status);
  if (!step) return Status::success();
  const Currency currency = *find_currency(a.currency);
  bj::object data{{"id", a.authorization_id},
                  {"card_id", card.card_id},
                  {"card_number", masked_pan(card)},
                  {"status", step->status},
                  {"transaction_type", step->transaction_type},
                  {"billing_status", step->billing_status},
                  {"fail_reason", a.decline_reason ? bj::value(*a.decline_reason) : bj::value(nullptr)},
                  {"amount", format_amount(amount_minor, currency)},
                  {"currency", a.currency},
                  {"merchant_name", a.merchant_name ? bj::value(*a.merchant_name) : bj::value(nullptr)},
                  {"mcc", a.merchant_mcc ? bj::value(*a.merchant_mcc) : bj::value(nullptr)},
                  {"created_at", format_rfc3339_ms(now_ms)}};
  ISSUERD_TRY(enqueue_callback(store, a.merchant_id, adpos_transaction_event, data, now_ms));
  return Status::success();
}

}  // namespace issuerd::engine
