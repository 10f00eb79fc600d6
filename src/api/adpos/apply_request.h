// Validating POST /cards/apply exactly as seeds/adpos-cards-apply.txt states, into the
// request the task job runs (jobs::AdposCardRequest). Every invalid field is reported, in
// the seed's order, as (field, message):
// - num: required, an integer from 1 to 30;
// - card_bin: required, one of GET /cards/cardbins' "N:BIN" codes (a code naming no
//   product, or not in that form, is invalid);
// - card_type: standard (default) or shared;
// - request_id, username: at most 64 characters;
// - every_card_top_up_amount, shared_card_balance, single_transaction_limit, and the rule's
//   min_balance / require_balance: amounts, not negative, with no more decimals than the
//   card's currency; the rule's topup_amount must be above 0 (a top-up of nothing is not one);
// - shared_card_balance: 0 to 50000; required for a shared card with
//   shared_card_balance_unlimit=0;
// - auto_topup, shared_card_balance_unlimit, single_transaction_unlimit: 0 or 1 (as
//   numbers, digit strings or booleans); defaults 0, 1, 1;
// - auto_topup_rule: an object, or a string holding a JSON object (a form can send only
//   text), or rule[min_balance] form fields; required when auto_topup=1, with min_balance and
//   topup_amount (standard) or require_balance (shared); ignored when auto_topup=0;
// - single_transaction_limit: required when single_transaction_unlimit=0.
// Absent, null and "" all mean "not sent" (a form cannot send null).
//
// Beyond validation, a card_bin that names a real product not open to this merchant is
// `forbidden` (403), checked once the request is otherwise valid.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "api/adpos/envelope.h"
#include "jobs/adpos_task_job.h"
#include "storage/store.h"

namespace issuerd::api::adpos {

struct ApplyRequest {
  jobs::AdposCardRequest card;
  std::optional<std::string> request_id;
};

struct ApplyParse {
  ApplyRequest request;      // meaningful only when `errors` is empty and `forbidden` unset
  FieldErrors errors;        // 422
  std::optional<Error> forbidden;  // 403
};

ApplyParse parse_apply(const boost::json::object& body, const std::string& merchant_id,
                       const std::vector<storage::CardProductRecord>& products);

}  // namespace issuerd::api::adpos
