#include "musepay_client.h"

#include <chrono>
#include <thread>

#include "common/clock.h"
#include "crypto/hashing.h"
#include "crypto/musepay_signature.h"

namespace issuerd::e2e {

MusePayClient::MusePayClient(E2eTest& test, std::string merchant_id, std::string api_key,
                             std::optional<crypto::RsaPrivateKey> private_key)
    : test_(test), merchant_id_(std::move(merchant_id)), api_key_(std::move(api_key)), private_key_(std::move(private_key)) {}

Reply MusePayClient::call(const std::string& path, bj::object body, std::optional<std::int64_t> timestamp_ms,
                          std::optional<std::string> nonce) {
  body["partner_id"] = merchant_id_;
  body["timestamp"] = std::to_string(timestamp_ms.value_or(wall_clock_ms()));
  body["nonce"] = nonce.value_or(crypto::hex_encode(crypto::random_bytes(16)));
  Headers headers;
  if (private_key_) {
    body["sign_type"] = "RSA";
    body["sign"] = crypto::musepay_sign(body, *private_key_);
  } else {
    headers.emplace_back("x-api-key", api_key_);
  }
  return test_.call_public("POST", path, bj::serialize(body), headers);
}

std::string MusePayClient::create_holder(const std::string& user_xid) {
  Reply reply = call("/v1/carduser/create",
                     bj::object{{"user_xid", user_xid},
                                {"email", user_xid + "@example.test"},
                                {"individual", bj::object{{"first_name", "Ada"}, {"last_name", "Lovelace"},
                                                          {"date_of_birth", "1990-12-10"}}}});
  EXPECT_EQ(reply.status, 200) << reply.body;
  if (reply.status != 200) return {};
  return std::string(reply["data"].at("user_id").as_string());
}

Reply MusePayClient::wait_for_application(const std::string& user_id, const std::string& request_id) {
  Reply reply;
  for (int i = 0; i < 200; ++i) {
    reply = call("/v1/card/apply-result", bj::object{{"request_id", request_id}, {"user_id", user_id}});
    if (reply.status != 200 || reply["data"].at("apply_status").as_string() != "APPLYING") return reply;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "application " << request_id << " still APPLYING after 10 s";
  return reply;
}

std::string MusePayClient::issue_card(const std::string& user_id, const std::string& card_product_id,
                                      const std::string& card_level) {
  const std::string request_id = "apply-" + user_id + "-" + std::to_string(++request_counter_);
  Reply applied = call("/v1/card/apply", bj::object{{"user_id", user_id},
                                                    {"request_id", request_id},
                                                    {"card_product_id", card_product_id},
                                                    {"card_level", card_level},
                                                    {"phone_number", "5550100"},
                                                    {"phone_area_code", "1"}});
  EXPECT_EQ(applied.status, 200) << applied.body;
  if (applied.status != 200) return {};
  Reply result = wait_for_application(user_id, request_id);
  EXPECT_EQ(result["data"].at("apply_status").as_string(), "AUDIT_PASS") << result.body;
  const bj::value& card_id = result["data"].at("card_id");
  return card_id.is_string() ? std::string(card_id.as_string()) : std::string();
}

}  // namespace issuerd::e2e
