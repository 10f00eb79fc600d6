// A MusePay partner as the tests play it: adds partner_id, sign_type, timestamp, nonce and
// sign exactly as VENDOR-NOTES.md describes (or sends the api key when not signing), and
// helpers for the card flow every suite needs.
#pragma once

#include <optional>
#include <string>

#include "crypto/rsa.h"
#include "e2e_support.h"

namespace issuerd::e2e {

class MusePayClient {
 public:
  // Signs with `private_key` when given (the merchant registered its public key), else
  // authenticates with the api key.
  MusePayClient(E2eTest& test, std::string merchant_id, std::string api_key,
                std::optional<crypto::RsaPrivateKey> private_key = std::nullopt);

  // POSTs `body` plus the common parameters; `timestamp_ms` and `nonce` override the
  // defaults (now, random) for tests of the replay rules.
  Reply call(const std::string& path, bj::object body, std::optional<std::int64_t> timestamp_ms = std::nullopt,
             std::optional<std::string> nonce = std::nullopt);

  // Creates a holder; returns its user_id.
  std::string create_holder(const std::string& user_xid);
  // Applies for a card and waits (up to 10 s) for AUDIT_PASS; returns the card_id.
  std::string issue_card(const std::string& user_id, const std::string& card_product_id,
                         const std::string& card_level = "1");
  // Polls apply-result until the status is no longer APPLYING; returns the last reply.
  Reply wait_for_application(const std::string& user_id, const std::string& request_id);

  const std::string& merchant_id() const { return merchant_id_; }

 private:
  E2eTest& test_;
  std::string merchant_id_;
  std::string api_key_;
  std::optional<crypto::RsaPrivateKey> private_key_;
  int request_counter_ = 0;
};

// A merchant with a product it may issue on, funded: what most card suites start from.
struct CardProgram {
  std::string merchant_id;
  std::string api_key;
  std::string card_product_id;
};

}  // namespace issuerd::e2e
