// The strict multipart/form-data parser used by package uploads.
#include "control/api/multipart.h"

#include <gtest/gtest.h>

namespace foundry::control {
namespace {

const std::string kType = "multipart/form-data; boundary=XyZ";

std::string part(const std::string& headers, const std::string& data) {
  return "--XyZ\r\n" + headers + "\r\n\r\n" + data + "\r\n";
}

TEST(Multipart, ParsesFieldsAndBinaryData) {
  const std::string zip("PK\x03\x04\r\n--Xy\0binary", 18);
  std::string body = part("Content-Disposition: form-data; name=\"resources\"", "[]") +
                     part("Content-Disposition: form-data; name=\"bits\"; filename=\"app.zip\"\r\n"
                          "Content-Type: application/zip",
                          zip) +
                     "--XyZ--\r\n";
  auto r = parseMultipart(kType, body);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.parts.size(), 2u);
  EXPECT_EQ(r.parts[0].name, "resources");
  EXPECT_EQ(r.parts[0].data, "[]");
  const MultipartPart* bits = r.find("bits");
  ASSERT_NE(bits, nullptr);
  EXPECT_EQ(bits->filename, "app.zip");
  EXPECT_EQ(bits->content_type, "application/zip");
  EXPECT_EQ(std::string(bits->data), zip);
  EXPECT_EQ(r.find("nope"), nullptr);
}

TEST(Multipart, QuotedBoundaryPreambleAndEmptyPart) {
  std::string body = "preamble text\r\n--a b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n"
                     "\r\n--a b--";
  auto r = parseMultipart("Multipart/Form-Data; boundary=\"a b\"", body);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.parts.size(), 1u);
  EXPECT_EQ(r.parts[0].name, "x");
  EXPECT_EQ(r.parts[0].data, "");
}

TEST(Multipart, MissingOrBadBoundaryIsAnError) {
  std::string body = part("Content-Disposition: form-data; name=\"bits\"", "x") + "--XyZ--";
  EXPECT_NE(parseMultipart("multipart/form-data", body).error, "");
  EXPECT_NE(parseMultipart("multipart/form-data; boundary=", body).error, "");
  EXPECT_NE(parseMultipart("application/json", body).error, "");
  EXPECT_NE(parseMultipart("", body).error, "");
  EXPECT_NE(parseMultipart("multipart/form-data; boundary=\"XyZ", body).error, "");
  // The body does not use the announced boundary.
  auto r = parseMultipart("multipart/form-data; boundary=Other", body);
  EXPECT_NE(r.error.find("boundary"), std::string::npos) << r.error;
}

TEST(Multipart, TruncatedBodiesAreErrorsNotPartialResults) {
  std::string whole = part("Content-Disposition: form-data; name=\"a\"", "1") +
                      part("Content-Disposition: form-data; name=\"bits\"", "zipzipzip") +
                      "--XyZ--\r\n";
  ASSERT_TRUE(parseMultipart(kType, whole).ok());
  // Cut anywhere before the closing delimiter's "--": an error, and no parts.
  const size_t closing = whole.rfind("--XyZ--") + 5;
  for (size_t cut = 0; cut < closing; ++cut) {
    auto r = parseMultipart(kType, whole.substr(0, cut));
    EXPECT_FALSE(r.ok()) << "cut at " << cut;
    EXPECT_TRUE(r.parts.empty()) << "cut at " << cut;
  }
  auto r = parseMultipart(kType, whole.substr(0, whole.rfind("--XyZ--")));
  EXPECT_NE(r.error.find("truncated"), std::string::npos) << r.error;
}

TEST(Multipart, PartsMustBeNamedFormData) {
  auto no_name = parseMultipart(kType, part("Content-Disposition: form-data", "x") + "--XyZ--");
  EXPECT_NE(no_name.error.find("name"), std::string::npos) << no_name.error;
  auto attachment =
      parseMultipart(kType, part("Content-Disposition: attachment; name=\"a\"", "x") + "--XyZ--");
  EXPECT_FALSE(attachment.ok());
  auto no_disposition = parseMultipart(kType, part("Content-Type: text/plain", "x") + "--XyZ--");
  EXPECT_FALSE(no_disposition.ok());
  auto bad_header = parseMultipart(kType, part("garbage line", "x") + "--XyZ--");
  EXPECT_FALSE(bad_header.ok());
  EXPECT_FALSE(parseMultipart(kType, "--XyZ--").ok());  // no parts at all
}

}  // namespace
}  // namespace foundry::control
