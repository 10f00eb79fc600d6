// Form bodies: urlencoded and multipart/form-data, their limits and malformed input.
#include <gtest/gtest.h>

#include <string>

#include "http/forms.h"

namespace issuerd::http {
namespace {

using Fields = FormFields;

TEST(FormBodyType, ReadsTheMediaTypeOnly) {
  EXPECT_EQ(body_type(""), BodyType::none);
  EXPECT_EQ(body_type("application/json; charset=utf-8"), BodyType::json);
  EXPECT_EQ(body_type("Application/X-WWW-Form-Urlencoded"), BodyType::urlencoded);
  EXPECT_EQ(body_type("multipart/form-data; boundary=abc"), BodyType::multipart);
  EXPECT_EQ(body_type("text/plain"), BodyType::other);
}

TEST(UrlencodedForm, DecodesNamesAndValuesInOrder) {
  auto fields = parse_urlencoded("num=2&card_bin=5%3A123456&username=a+b&empty=&flag&&x%5By%5D=%7B%7D");
  ASSERT_TRUE(fields.ok()) << fields.error().message;
  const Fields expected{{"num", "2"}, {"card_bin", "5:123456"}, {"username", "a b"}, {"empty", ""},
                        {"flag", ""},  {"x[y]", "{}"}};
  EXPECT_EQ(*fields, expected);
  EXPECT_TRUE(parse_urlencoded("")->empty());
}

TEST(UrlencodedForm, RefusesBadEscapesAndMissingNames) {
  EXPECT_EQ(parse_urlencoded("a=%zz").error().reason, "malformed_form");
  EXPECT_EQ(parse_urlencoded("a=%4").error().reason, "malformed_form");
  EXPECT_EQ(parse_urlencoded("=1").error().reason, "malformed_form");
}

TEST(UrlencodedForm, EnforcesItsLimits) {
  std::string many;
  for (int i = 0; i < 101; ++i) many += "f" + std::to_string(i) + "=1&";
  EXPECT_EQ(parse_urlencoded(many).error().reason, "form_too_large");
  many.resize(many.rfind("f100"));
  EXPECT_EQ(parse_urlencoded(many)->size(), 100u);

  EXPECT_EQ(parse_urlencoded(std::string(129, 'n') + "=1").error().reason, "form_too_large");
  EXPECT_TRUE(parse_urlencoded(std::string(128, 'n') + "=1").ok());
  FormLimits small;
  small.value_bytes_max = 4;
  EXPECT_EQ(parse_urlencoded("a=12345", small).error().reason, "form_too_large");
  EXPECT_TRUE(parse_urlencoded("a=1234", small).ok());
}

TEST(MultipartBoundary, ComesFromTheContentType) {
  EXPECT_EQ(*multipart_boundary("multipart/form-data; boundary=----abc123"), "----abc123");
  EXPECT_EQ(*multipart_boundary("multipart/form-data;boundary=\"a b;c\"; charset=utf-8"), "a b;c");
  EXPECT_FALSE(multipart_boundary("multipart/form-data").ok());
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=").ok());
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'x')).ok());
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=\"open").ok());
}

std::string part(const std::string& boundary, const std::string& name, const std::string& value) {
  return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
}

TEST(MultipartForm, ReadsTextPartsWithPreambleAndEpilogue) {
  const std::string body = "preamble to ignore\r\n" + part("XyZ", "num", "2") +
                           "--XyZ\r\ncontent-disposition: form-data; name=rule\r\nContent-Type: application/json\r\n\r\n"
                           "{\"min_balance\":10,\r\n\"topup_amount\":50}\r\n" +
                           part("XyZ", "empty", "") + "--XyZ--\r\nepilogue";
  auto fields = parse_form(body, "multipart/form-data; boundary=XyZ");
  ASSERT_TRUE(fields.ok()) << fields.error().message;
  const Fields expected{{"num", "2"}, {"rule", "{\"min_balance\":10,\r\n\"topup_amount\":50}"}, {"empty", ""}};
  EXPECT_EQ(*fields, expected);
}

TEST(MultipartForm, KeepsValuesThatLookLikeDelimitersButAreNot) {
  const std::string body = part("b", "a", "x--b y\r\n-b") + "--b--";
  auto fields = parse_multipart(body, "b");
  ASSERT_TRUE(fields.ok()) << fields.error().message;
  EXPECT_EQ(fields->at(0).second, "x--b y\r\n-b");
  EXPECT_TRUE(parse_multipart("--b--\r\n", "b")->empty());
}

TEST(MultipartForm, RefusesMalformedBodies) {
  auto reason = [](const std::string& body) {
    auto fields = parse_multipart(body, "b");
    return fields.ok() ? std::string("ok") : fields.error().reason;
  };
  EXPECT_EQ(reason(""), "malformed_form");
  EXPECT_EQ(reason("no boundary here"), "malformed_form");
  EXPECT_EQ(reason(part("b", "a", "1")), "malformed_form") << "never closed";
  EXPECT_EQ(reason("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n1\r\n--b--"), "malformed_form");
  EXPECT_EQ(reason("--b\r\nContent-Type: text/plain\r\n\r\n1\r\n--b--"), "malformed_form") << "no disposition";
  EXPECT_EQ(reason("--b\r\nContent-Disposition: attachment; name=a\r\n\r\n1\r\n--b--"), "malformed_form");
  EXPECT_EQ(reason("--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\r\n\r\n1\r\n--b--"),
            "malformed_form")
      << "file uploads";
  EXPECT_EQ(reason("--b\r\nContent-Disposition: form-data\r\n\r\n1\r\n--b--"), "malformed_form") << "no name";
  EXPECT_EQ(reason("--bjunk\r\n"), "malformed_form");
  EXPECT_EQ(reason("--b\r\nBroken header line\r\n\r\n1\r\n--b--"), "malformed_form");
  EXPECT_EQ(reason("--b\r\n" + std::string(5000, 'h') + "\r\n\r\n1\r\n--b--"), "malformed_form");
}

TEST(MultipartForm, EnforcesItsLimits) {
  std::string body;
  for (int i = 0; i < 101; ++i) body += part("b", "f" + std::to_string(i), "1");
  EXPECT_EQ(parse_multipart(body + "--b--", "b").error().reason, "form_too_large");
  EXPECT_EQ(parse_multipart(part("b", "a", std::string(16 * 1024 + 1, 'v')) + "--b--", "b").error().reason,
            "form_too_large");
  EXPECT_EQ(parse_multipart(part("b", std::string(129, 'n'), "1") + "--b--", "b").error().reason, "form_too_large");
}

TEST(Forms, ParseFormRefusesOtherTypes) {
  EXPECT_EQ(parse_form("{}", "application/json").error().reason, "malformed_form");
  EXPECT_EQ(parse_form("a=1", "").error().reason, "malformed_form");
  EXPECT_EQ(parse_form("--b--", "multipart/form-data").error().reason, "malformed_form");
  EXPECT_EQ(parse_form("a=1", "application/x-www-form-urlencoded; charset=utf-8")->size(), 1u);
}

}  // namespace
}  // namespace issuerd::http
