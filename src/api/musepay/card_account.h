// The MusePay card account API (VENDOR-NOTES.md, "Card account"):
//
// POST /v1/cardaccount/topup {request_id, card_id, amount, currency, user_id}
//   Moves `amount` from the merchant's main account to a standard ("card_balance") card's
//   own account, exactly once per request_id, and records a TOP_UP order, a POSTED TOP_UP
//   card transaction and a CARD_TOP_UP callback in the same commit. Answers
//   {amount, currency, fee, order_no, request_id, status}. Errors: 404 when the card is not
//   this merchant's and this user's; 400 on a CANCELED card, an amount that is not positive
//   or has more decimals than the currency, and (reason "funding_kind_not_supported") on a
//   card funded from a budget quota or straight from the main account, whose top-ups come
//   with their own issues; 7002 when currency is not the card's; 202203 when the main
//   account is short (nothing moves, and the request_id may be retried).
//
//   Why status is SUCCESS at once: MusePay answers PENDING and later reports SUCCESS
//   through the CARD_TOP_UP callback, because its top-up crosses to a card processor. Here
//   the transfer is a ledger entry committed before the answer is sent, so there is no
//   pending phase to report; saying PENDING would make clients poll for nothing. A client
//   written for MusePay that waits for the callback still receives it (status SUCCESS).
//
// POST /v1/cardaccount/transactions {card_id, user_id, order_no, date_range_from,
//   date_range_to, page_size, page_number, tx_status, tx_type, detail_id}
//   One page of the card's transactions, newest first, as {page_number, page_size,
//   total_count, transactions[]}. Times are ms since 1970; a bound of 0 means "none".
//   page_size is 1..1000 (default 50), page_number 1..10,000,000 (default 1). Optional
//   fields sent blank count as absent (MusePay's signature drops blank fields, so its
//   clients send them freely). Unknown enum values, paging out of range and
//   date_range_from > date_range_to: 400 naming the field.
#pragma once

#include "api/shared/services.h"
#include "http/router.h"

namespace issuerd::api::musepay {

void register_card_account_routes(http::Router& router, Services& services);

}  // namespace issuerd::api::musepay
