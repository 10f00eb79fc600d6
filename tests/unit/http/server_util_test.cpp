// Target parsing, request ids and header checks, without sockets.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>

#include "http/message.h"
#include "http/server_util.h"

namespace issuerd::http {
namespace {

using detail::parse_target;

TEST(HttpTarget, SplitsAndDecodesOriginForm) {
  std::string path;
  std::string query;
  ASSERT_TRUE(parse_target("/cards?page=2", path, query));
  EXPECT_EQ(path, "/cards");
  EXPECT_EQ(query, "page=2");

  ASSERT_TRUE(parse_target("/a%20b/%E2%82%ac/c%2fd", path, query));
  EXPECT_EQ(path, "/a b/\xE2\x82\xAC/c/d");
  EXPECT_EQ(query, "");

  ASSERT_TRUE(parse_target("/x?q=%20a%zz&b=?c", path, query));
  EXPECT_EQ(path, "/x");
  EXPECT_EQ(query, "q=%20a%zz&b=?c") << "the query stays raw";

  ASSERT_TRUE(parse_target("/", path, query));
  EXPECT_EQ(path, "/");
  ASSERT_TRUE(parse_target("/?", path, query));
  EXPECT_EQ(path, "/");
  EXPECT_EQ(query, "");
}

TEST(HttpTarget, AcceptsAbsoluteForm) {
  std::string path;
  std::string query;
  ASSERT_TRUE(parse_target("http://example.test:8080/v1/x%41?y=1", path, query));
  EXPECT_EQ(path, "/v1/xA");
  EXPECT_EQ(query, "y=1");
  ASSERT_TRUE(parse_target("http://example.test", path, query));
  EXPECT_EQ(path, "/");
  ASSERT_TRUE(parse_target("http://example.test?z", path, query));
  EXPECT_EQ(path, "/");
  EXPECT_EQ(query, "z");
}

TEST(HttpTarget, RejectsWhatDoesNotParse) {
  std::string path;
  std::string query;
  for (const char* bad : {"", "*", "cards", "/a%", "/a%4", "/a%zz", "/a%00", "/a#frag", "/a b",
                          "/a\x7f", "/\x80", "/x?y#z", "://host/x", "http:///x", "1http://h/x"}) {
    EXPECT_FALSE(parse_target(bad, path, query)) << bad;
  }
}

TEST(HttpRequestId, ValidatesClientIds) {
  EXPECT_TRUE(detail::is_valid_request_id("a"));
  EXPECT_TRUE(detail::is_valid_request_id("Abc-123_x.y"));
  EXPECT_TRUE(detail::is_valid_request_id(std::string(64, 'q')));
  EXPECT_FALSE(detail::is_valid_request_id(""));
  EXPECT_FALSE(detail::is_valid_request_id(std::string(65, 'q')));
  EXPECT_FALSE(detail::is_valid_request_id("a b"));
  EXPECT_FALSE(detail::is_valid_request_id("a/b"));
  EXPECT_FALSE(detail::is_valid_request_id("a\nb"));
}

TEST(HttpRequestId, GeneratesDistinctHexIds) {
  std::set<std::string> seen;
  auto collect = [](std::set<std::string>& out) {
    for (int i = 0; i < 1000; ++i) {
      std::string id(detail::kGeneratedRequestIdLength, '?');
      detail::generate_request_id(id.data());
      for (char c : id) ASSERT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << id;
      out.insert(id);
    }
  };
  collect(seen);
  std::set<std::string> other;
  std::thread thread([&] { collect(other); });
  thread.join();
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(other.size(), 1000u);
  seen.insert(other.begin(), other.end());
  EXPECT_EQ(seen.size(), 2000u) << "threads do not share a sequence";
}

TEST(HttpHeaders, ChecksNamesAndValues) {
  EXPECT_TRUE(detail::is_header_token("X-Request-Id"));
  EXPECT_FALSE(detail::is_header_token(""));
  EXPECT_FALSE(detail::is_header_token("Bad Name"));
  EXPECT_FALSE(detail::is_header_token("Bad:Name"));
  EXPECT_TRUE(detail::is_safe_header_value("text/plain; charset=utf-8"));
  EXPECT_FALSE(detail::is_safe_header_value("a\r\nb"));
  EXPECT_FALSE(detail::is_safe_header_value(std::string("a\0b", 3)));
}

TEST(HttpRequest, HeaderFindsTheFirstMatchByLowercaseName) {
  Request request;
  request.headers = {{"accept", "a"}, {"x-dup", "1"}, {"x-dup", "2"}};
  EXPECT_EQ(request.header("x-dup").value_or(""), "1");
  EXPECT_EQ(request.header("accept").value_or(""), "a");
  EXPECT_FALSE(request.header("missing").has_value());
}

}  // namespace
}  // namespace issuerd::http
