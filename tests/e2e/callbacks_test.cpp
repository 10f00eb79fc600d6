// Callbacks (webhooks) over real HTTP on both databases: a receiver started in the test
// gets the signed MusePay-shaped callback, retries follow failures, a dead endpoint
// neither crashes issuerd nor retries forever, and nothing sensitive reaches the log.
#include <chrono>
#include <deque>
#include <fstream>
#include <functional>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "crypto/musepay_signature.h"
#include "crypto/rsa.h"
#include "e2e_support.h"
#include "webhook_receiver.h"
#include "http/server.h"

namespace issuerd::e2e {
namespace {

using namespace std::chrono_literals;


// Fast retries so that the retry and give-up paths run in about a second.
class Callbacks : public E2eTest {
 protected:
  Callbacks() { extra_server_args_ = {"--callback-retry-base-ms", "100", "--callback-attempts-max", "4"}; }

  struct Merchant {
    std::string id;
    std::string platform_public_key;
  };

  Merchant new_merchant() {
    Reply created = admin("POST", "/admin/v1/merchants", R"({"name":"Hooked"})");
    EXPECT_EQ(created.status, 201) << created.body;
    if (created.status != 201) return {};
    return {created.text("merchant_id"), created.text("platform_public_key")};
  }

  void set_webhook(const std::string& merchant_id, const std::string& url) {
    Reply set = admin("POST", "/admin/v1/merchants/" + merchant_id + "/webhooks", bj::serialize(bj::object{{"url", url}}));
    ASSERT_EQ(set.status, 200) << set.body;
  }

  std::string send_test(const std::string& merchant_id) {
    Reply queued = admin("POST", "/admin/v1/merchants/" + merchant_id + "/webhooks/test");
    EXPECT_EQ(queued.status, 202) << queued.body;
    return queued.status == 202 ? queued.text("event_id") : std::string();
  }

  // The event as GET .../events shows it (null when absent).
  bj::value event(const std::string& merchant_id, const std::string& event_id) {
    Reply listed = admin("GET", "/admin/v1/merchants/" + merchant_id + "/events");
    EXPECT_EQ(listed.status, 200) << listed.body;
    if (listed.status != 200) return nullptr;
    for (const auto& item : listed["data"].as_array()) {
      if (item.at("event_id").as_string() == event_id) return item;
    }
    return nullptr;
  }

  bool event_has_status(const std::string& merchant_id, const std::string& event_id, std::string_view status) {
    bj::value found = event(merchant_id, event_id);
    return found.is_object() && found.at("status").as_string() == status;
  }

  std::string server_log() {
    std::ifstream file(server_->log_path());
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
  }
};

TEST_P(Callbacks, TestCallbackIsSignedDeliveredAndListed) {
  Receiver receiver;
  const Merchant merchant = new_merchant();
  set_webhook(merchant.id, receiver.url("/hooks/issuer?source=issuerd"));
  const std::string event_id = send_test(merchant.id);
  ASSERT_FALSE(event_id.empty());

  ASSERT_TRUE(eventually([&] { return !receiver.requests().empty(); })) << "no callback arrived";
  const http::Request request = receiver.requests().front();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/hooks/issuer?source=issuerd");
  EXPECT_EQ(request.header("content-type").value_or(""), "application/json");

  const bj::object body = bj::parse(request.body).as_object();
  EXPECT_EQ(body.at("partner_id").as_string(), merchant.id);
  EXPECT_EQ(body.at("event_id").as_string(), event_id);
  EXPECT_EQ(body.at("type").as_string(), "WEBHOOK_TEST");
  EXPECT_EQ(body.at("data"), (bj::object{{"message", "test"}}));
  EXPECT_EQ(body.at("sign_type").as_string(), "RSA");
  EXPECT_TRUE(std::regex_match(std::string(body.at("nonce").as_string()), std::regex("[0-9a-f]{32}")));
  const std::int64_t sent_ms = std::stoll(std::string(body.at("timestamp").as_string()));
  const std::int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LT(std::abs(now_ms - sent_ms), 60'000);

  // The merchant checks the signature with the platform key it got at creation.
  auto platform_key = crypto::RsaPublicKey::parse(merchant.platform_public_key);
  ASSERT_TRUE(platform_key.ok());
  EXPECT_TRUE(crypto::musepay_verify(body, *platform_key));
  bj::object tampered = body;
  tampered["data"] = bj::object{{"message", "tampered"}};
  EXPECT_FALSE(crypto::musepay_verify(tampered, *platform_key));

  ASSERT_TRUE(eventually([&] { return event_has_status(merchant.id, event_id, "delivered"); }));
  const bj::value listed = event(merchant.id, event_id);
  EXPECT_EQ(listed.at("type").as_string(), "WEBHOOK_TEST");
  EXPECT_EQ(listed.at("attempts").as_int64(), 1);
  EXPECT_TRUE(listed.at("last_error").is_null());
  EXPECT_TRUE(listed.at("delivered_at").is_string());
  EXPECT_TRUE(listed.at("created_at").is_string());
  std::this_thread::sleep_for(500ms);  // a delivered event is not sent again
  EXPECT_EQ(receiver.requests().size(), 1u);
}

TEST_P(Callbacks, EventsAreListedNewestFirstWithinLimit) {
  const Merchant merchant = new_merchant();  // no webhook URL: the events stay pending
  const std::string first = send_test(merchant.id);
  const std::string second = send_test(merchant.id);
  Reply listed = admin("GET", "/admin/v1/merchants/" + merchant.id + "/events");
  ASSERT_EQ(listed.status, 200) << listed.body;
  ASSERT_EQ(listed["data"].as_array().size(), 2u);
  EXPECT_EQ(listed["data"].as_array()[0].at("event_id").as_string(), second);
  EXPECT_EQ(listed["data"].as_array()[1].at("event_id").as_string(), first);
  Reply limited = admin("GET", "/admin/v1/merchants/" + merchant.id + "/events?limit=1");
  ASSERT_EQ(limited.status, 200);
  EXPECT_EQ(limited["data"].as_array().size(), 1u);
  EXPECT_EQ(admin("GET", "/admin/v1/merchants/" + merchant.id + "/events?limit=0").status, 422);
  EXPECT_EQ(admin("GET", "/admin/v1/merchants/" + merchant.id + "/events?limit=1001").status, 422);
  EXPECT_EQ(admin("GET", "/admin/v1/merchants/404404/events").status, 404);
  EXPECT_EQ(admin("POST", "/admin/v1/merchants/404404/webhooks/test").status, 404);
  EXPECT_EQ(call("POST", "/admin/v1/merchants/" + merchant.id + "/webhooks/test").status, 401);
  EXPECT_EQ(call("GET", "/admin/v1/merchants/" + merchant.id + "/events").status, 401);
}

TEST_P(Callbacks, FailedAttemptsAreRetriedUntilDelivered) {
  Receiver receiver;
  receiver.answer_next(500);
  receiver.answer_next(503);
  const Merchant merchant = new_merchant();
  set_webhook(merchant.id, receiver.url());
  const std::string event_id = send_test(merchant.id);

  ASSERT_TRUE(eventually([&] { return event_has_status(merchant.id, event_id, "delivered"); }))
      << bj::serialize(event(merchant.id, event_id));
  const bj::value listed = event(merchant.id, event_id);
  EXPECT_EQ(listed.at("attempts").as_int64(), 3);
  EXPECT_TRUE(listed.at("last_error").is_null());
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 3u);
  std::set<std::string> nonces;
  for (const auto& request : requests) {
    const bj::object body = bj::parse(request.body).as_object();
    EXPECT_EQ(body.at("event_id").as_string(), event_id);  // the merchant deduplicates on it
    nonces.insert(std::string(body.at("nonce").as_string()));
  }
  EXPECT_EQ(nonces.size(), 3u);  // each attempt is freshly signed
}

TEST_P(Callbacks, DeadEndpointIsRetriedThenGivenUp) {
  std::string dead_url;
  {
    Receiver gone;  // a port that was just free: connections to it are refused
    dead_url = gone.url();
  }
  const Merchant merchant = new_merchant();
  set_webhook(merchant.id, dead_url);
  const std::string event_id = send_test(merchant.id);

  ASSERT_TRUE(eventually([&] {
    const bj::value found = event(merchant.id, event_id);
    return found.is_object() && found.at("attempts").as_int64() >= 2 && found.at("status").as_string() == "pending";
  })) << bj::serialize(event(merchant.id, event_id));
  ASSERT_TRUE(eventually([&] { return event_has_status(merchant.id, event_id, "failed"); }))
      << bj::serialize(event(merchant.id, event_id));
  const bj::value listed = event(merchant.id, event_id);
  EXPECT_EQ(listed.at("attempts").as_int64(), 4);  // --callback-attempts-max
  EXPECT_TRUE(std::string(listed.at("last_error").as_string()).starts_with("connect_failed")) << listed;
  EXPECT_TRUE(listed.at("delivered_at").is_null());
  std::this_thread::sleep_for(500ms);  // a failed event stays failed
  EXPECT_EQ(event(merchant.id, event_id).at("attempts").as_int64(), 4);
}

// With no URL there is nowhere to send an event: it is recorded as failed at once, never
// attempted, and not sent once a URL is set later. An unusable URL is attempted like a
// failing one.
TEST_P(Callbacks, MissingWebhookUrlFailsAtOnceAndUnusableOneIsRetried) {
  const Merchant no_url = new_merchant();
  const std::string unsent_id = send_test(no_url.id);
  const Merchant https = new_merchant();
  set_webhook(https.id, "https://127.0.0.1:9/callbacks");
  const std::string https_id = send_test(https.id);

  const bj::value unsent = event(no_url.id, unsent_id);
  ASSERT_TRUE(unsent.is_object());
  EXPECT_EQ(unsent.at("status").as_string(), "failed");
  EXPECT_EQ(unsent.at("last_error").as_string(), "no_webhook_url");
  EXPECT_EQ(unsent.at("attempts").as_int64(), 0);
  Receiver receiver;
  set_webhook(no_url.id, receiver.url());
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(receiver.requests().empty());
  EXPECT_EQ(event(no_url.id, unsent_id).at("status").as_string(), "failed");

  ASSERT_TRUE(eventually([&] { return event_has_status(https.id, https_id, "failed"); }));
  EXPECT_EQ(event(https.id, https_id).at("last_error").as_string(), "https_not_supported");
  EXPECT_GE(event(https.id, https_id).at("attempts").as_int64(), 1);
}

// Requests are logged too here, so the check covers the request log as well.
class CallbackLogs : public Callbacks {
 protected:
  CallbackLogs() { extra_server_args_.push_back("--log-requests"); }
};

TEST_P(CallbackLogs, LogHoldsNoSignatureNoncePayloadOrPanLikeNumber) {
  Receiver receiver;
  receiver.answer_next(500);
  const Merchant merchant = new_merchant();
  set_webhook(merchant.id, receiver.url());
  const std::string event_id = send_test(merchant.id);
  ASSERT_TRUE(eventually([&] { return event_has_status(merchant.id, event_id, "delivered"); }));

  const std::string log = server_log();
  EXPECT_NE(log.find("callback_delivered"), std::string::npos) << log;  // the log is the right one
  for (const auto& request : receiver.requests()) {
    const bj::object body = bj::parse(request.body).as_object();
    EXPECT_EQ(log.find(std::string(body.at("sign").as_string())), std::string::npos);
    EXPECT_EQ(log.find(std::string(body.at("nonce").as_string())), std::string::npos);
  }
  EXPECT_EQ(log.find("\"sign\""), std::string::npos);
  EXPECT_EQ(log.find("\"message\":\"test\""), std::string::npos);
  // Ids are long decimal numbers too: any other run of 13-19 digits could be a PAN. So is a
  // generated request id (16 hex digits) whose digits all happen to be below a, about one id
  // in 1,800: this test logs every request.
  std::set<std::string> ids = {merchant.id, event_id};
  const std::regex request_id("\"request_id\":\"([0-9a-f]+)\"");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), request_id); it != std::sregex_iterator(); ++it) {
    ids.insert((*it)[1].str());
  }
  // A run of digits inside a longer hex token (a generated request id) is not a number.
  const std::regex digits("(?:^|[^0-9a-fA-F])([0-9]{13,19})(?=[^0-9a-fA-F]|$)");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), digits); it != std::sregex_iterator(); ++it) {
    const std::string number = (*it)[1].str();
    if (ids.contains(number)) continue;
    // Timestamps (ms since 1970) are 13 digits starting with 1; a PAN never starts with 1.
    const bool timestamp = number.size() == 13 && number[0] == '1';
    EXPECT_TRUE(timestamp) << "PAN-like number in the log: " << number;
  }
}

ISSUERD_E2E_SUITE(Callbacks);
ISSUERD_E2E_SUITE(CallbackLogs);

}  // namespace
}  // namespace issuerd::e2e
