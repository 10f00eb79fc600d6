#include "http/forms.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "http/query.h"

namespace issuerd::http {

namespace {

// A part's header block is a few short lines; anything longer is not a form field.
constexpr std::size_t part_headers_bytes_max = 4096;
constexpr std::size_t boundary_bytes_max = 70;  // RFC 2046

Error malformed(std::string message) {
  return make_error(ErrorKind::invalid_argument, "malformed_form", std::move(message));
}

Error too_large(std::string message) {
  return make_error(ErrorKind::invalid_argument, "form_too_large", std::move(message));
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  return out;
}

Status add_field(FormFields& fields, std::string name, std::string value, const FormLimits& limits) {
  if (fields.size() >= limits.fields_max) {
    return too_large("a form may have at most " + std::to_string(limits.fields_max) + " fields");
  }
  if (name.empty()) return malformed("a form field has no name");
  if (name.size() > limits.name_bytes_max) {
    return too_large("form field names may be at most " + std::to_string(limits.name_bytes_max) + " bytes");
  }
  if (value.size() > limits.value_bytes_max) {
    return too_large("form field values may be at most " + std::to_string(limits.value_bytes_max) + " bytes");
  }
  fields.emplace_back(std::move(name), std::move(value));
  return Status::success();
}

// ---- header parameters: `type; a=b; c="quoted \" value"` ----

struct HeaderValue {
  std::string type;  // lowercased
  std::vector<std::pair<std::string, std::string>> params;  // names lowercased
};

// A quoted-string starting at text[pos] == '"'; advances pos past the closing quote.
std::optional<std::string> read_quoted(std::string_view text, std::size_t& pos) {
  std::string out;
  for (++pos; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (c == '"') {
      ++pos;
      return out;
    }
    if (c == '\\' && pos + 1 < text.size()) {
      out.push_back(text[++pos]);  // a quoted-pair: the next character as is
      continue;
    }
    out.push_back(c);
  }
  return std::nullopt;  // no closing quote
}

Result<HeaderValue> parse_header_value(std::string_view text) {
  HeaderValue value;
  std::size_t pos = text.find(';');
  value.type = lowercase(trim(text.substr(0, pos)));
  while (pos != std::string_view::npos && pos < text.size()) {
    ++pos;  // past ';'
    const std::size_t equals = text.find('=', pos);
    if (equals == std::string_view::npos) {
      if (trim(text.substr(pos)).empty()) break;  // a trailing ';'
      return malformed("a header parameter has no value");
    }
    std::string name = lowercase(trim(text.substr(pos, equals - pos)));
    pos = equals + 1;
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    std::string param;
    if (pos < text.size() && text[pos] == '"') {
      auto quoted = read_quoted(text, pos);
      if (!quoted) return malformed("a header parameter has an unterminated quoted value");
      param = std::move(*quoted);
      while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
      if (pos < text.size() && text[pos] != ';') return malformed("text after a quoted header parameter");
    } else {
      const std::size_t end = text.find(';', pos);
      param = std::string(trim(text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos)));
      pos = end;
      if (pos == std::string_view::npos) pos = text.size();
    }
    value.params.emplace_back(std::move(name), std::move(param));
  }
  return value;
}

const std::string* find_param(const HeaderValue& value, std::string_view name) {
  for (const auto& [key, param] : value.params) {
    if (key == name) return &param;
  }
  return nullptr;
}

// ---- multipart ----

// The field name from one part's header block (the lines before the blank line).
Result<std::string> part_name(std::string_view headers) {
  std::optional<std::string> name;
  std::size_t start = 0;
  while (start < headers.size()) {
    std::size_t end = headers.find("\r\n", start);
    if (end == std::string_view::npos) end = headers.size();
    const std::string_view line = headers.substr(start, end - start);
    start = end + 2;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return malformed("a multipart header line has no ':'");
    if (lowercase(trim(line.substr(0, colon))) != "content-disposition") continue;
    ISSUERD_ASSIGN(HeaderValue disposition, parse_header_value(line.substr(colon + 1)));
    if (disposition.type != "form-data") return malformed("a multipart part is not form-data");
    if (find_param(disposition, "filename") != nullptr) return malformed("file uploads are not accepted");
    const std::string* found = find_param(disposition, "name");
    if (found == nullptr) return malformed("a multipart part has no name");
    name = *found;
  }
  if (!name) return malformed("a multipart part has no Content-Disposition");
  return std::move(*name);
}

// One part starting right after its delimiter line; advances `pos` to the next delimiter
// (the CRLF before it).
Result<std::pair<std::string, std::string>> read_part(std::string_view body, std::string_view delimiter,
                                                      std::size_t& pos) {
  std::string_view headers;
  if (body.substr(pos, 2) == "\r\n") {
    pos += 2;  // no headers at all: part_name refuses it below
  } else {
    const std::size_t blank = body.find("\r\n\r\n", pos);
    if (blank == std::string_view::npos || blank - pos > part_headers_bytes_max) {
      return malformed("a multipart part's headers do not end");
    }
    headers = body.substr(pos, blank - pos);
    pos = blank + 4;
  }
  ISSUERD_ASSIGN(std::string name, part_name(headers));
  const std::string next = "\r\n" + std::string(delimiter);
  const std::size_t end = body.find(next, pos);
  if (end == std::string_view::npos) return malformed("a multipart part is not closed by the boundary");
  std::string value(body.substr(pos, end - pos));
  pos = end + 2;
  return std::make_pair(std::move(name), std::move(value));
}

}  // namespace

BodyType body_type(std::string_view content_type) {
  const std::string media = lowercase(trim(content_type.substr(0, content_type.find(';'))));
  if (media.empty()) return BodyType::none;
  if (media == "application/json") return BodyType::json;
  if (media == "application/x-www-form-urlencoded") return BodyType::urlencoded;
  if (media == "multipart/form-data") return BodyType::multipart;
  return BodyType::other;
}

Result<FormFields> parse_urlencoded(std::string_view body, const FormLimits& limits) {
  FormFields fields;
  std::size_t start = 0;
  while (start < body.size()) {
    std::size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view pair = body.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    const std::size_t equals = pair.find('=');
    auto name = percent_decode(pair.substr(0, equals), true);
    auto value = percent_decode(equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1), true);
    if (!name || !value) return malformed("the form body has a bad %-escape");
    ISSUERD_TRY(add_field(fields, std::move(*name), std::move(*value), limits));
  }
  return fields;
}

Result<std::string> multipart_boundary(std::string_view content_type) {
  ISSUERD_ASSIGN(HeaderValue value, parse_header_value(content_type));
  const std::string* boundary = find_param(value, "boundary");
  if (boundary == nullptr || boundary->empty() || boundary->size() > boundary_bytes_max) {
    return malformed("multipart/form-data needs a boundary of 1 to 70 characters");
  }
  return *boundary;
}

Result<FormFields> parse_multipart(std::string_view body, std::string_view boundary, const FormLimits& limits) {
  const std::string delimiter = "--" + std::string(boundary);
  // The first delimiter opens the body or follows a preamble line.
  std::size_t pos = body.starts_with(delimiter) ? 0 : body.find("\r\n" + delimiter);
  if (pos == std::string_view::npos) return malformed("the multipart body has no boundary line");
  if (pos != 0) pos += 2;
  FormFields fields;
  for (;;) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") return fields;  // the close delimiter; the epilogue is ignored
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;  // transport padding
    if (body.substr(pos, 2) != "\r\n") return malformed("a multipart boundary line does not end in CRLF");
    pos += 2;
    if (fields.size() >= limits.fields_max) {
      return too_large("a form may have at most " + std::to_string(limits.fields_max) + " fields");
    }
    ISSUERD_ASSIGN(auto field, read_part(body, delimiter, pos));
    ISSUERD_TRY(add_field(fields, std::move(field.first), std::move(field.second), limits));
  }
}

Result<FormFields> parse_form(std::string_view body, std::string_view content_type, const FormLimits& limits) {
  switch (body_type(content_type)) {
    case BodyType::urlencoded: return parse_urlencoded(body, limits);
    case BodyType::multipart: {
      ISSUERD_ASSIGN(std::string boundary, multipart_boundary(content_type));
      return parse_multipart(body, boundary, limits);
    }
    default: return malformed("the body is not application/x-www-form-urlencoded or multipart/form-data");
  }
}

}  // namespace issuerd::http
