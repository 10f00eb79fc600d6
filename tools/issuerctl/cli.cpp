#include "cli.h"

#include <random>
#include <sstream>

#include <boost/json.hpp>

namespace issuerctl {

std::optional<std::string> Args::get(std::string_view name) const {
  std::optional<std::string> found;
  for (const auto& [option, value] : options) {
    if (option == name) found = value;
  }
  return found;
}

std::vector<std::string> Args::all(std::string_view name) const {
  std::vector<std::string> found;
  for (const auto& [option, value] : options) {
    if (option == name) found.push_back(value);
  }
  return found;
}

std::string Args::required(std::string_view name) const {
  auto value = get(name);
  if (!value) throw UsageError("missing --" + std::string(name));
  return *value;
}

Args parse_args(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      args.help = true;
      continue;
    }
    if (arg == "--") {
      for (++i; i < argc; ++i) args.words.emplace_back(argv[i]);
      break;
    }
    if (arg.size() > 2 && arg.substr(0, 2) == "--") {
      std::string_view name = arg.substr(2);
      const auto equals = name.find('=');
      if (equals != std::string_view::npos) {
        args.options.emplace_back(std::string(name.substr(0, equals)), std::string(name.substr(equals + 1)));
        continue;
      }
      if (i + 1 >= argc) throw UsageError("--" + std::string(name) + " needs a value");
      args.options.emplace_back(std::string(name), std::string(argv[++i]));
      continue;
    }
    if (arg.size() > 1 && arg.front() == '-') throw UsageError("unknown option " + std::string(arg));
    args.words.emplace_back(arg);
  }
  return args;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    }
  }
  return out;
}

std::string random_key() {
  std::random_device device;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key;
  key.reserve(32);
  for (int i = 0; i < 4; ++i) {
    auto bits = device();
    for (int j = 0; j < 8; ++j) {
      key.push_back(kHex[bits & 0xf]);
      bits >>= 4;
    }
  }
  return key;
}

namespace {

void pretty(std::ostringstream& out, const boost::json::value& value, int depth) {
  const auto indent = [&out](int level) { out << std::string(static_cast<std::size_t>(level) * 2, ' '); };
  if (value.is_object()) {
    const auto& object = value.get_object();
    if (object.empty()) {
      out << "{}";
      return;
    }
    out << "{\n";
    bool first = true;
    for (const auto& member : object) {
      if (!first) out << ",\n";
      first = false;
      indent(depth + 1);
      out << boost::json::serialize(boost::json::string(member.key())) << ": ";
      pretty(out, member.value(), depth + 1);
    }
    out << "\n";
    indent(depth);
    out << "}";
  } else if (value.is_array()) {
    const auto& array = value.get_array();
    if (array.empty()) {
      out << "[]";
      return;
    }
    out << "[\n";
    bool first = true;
    for (const auto& element : array) {
      if (!first) out << ",\n";
      first = false;
      indent(depth + 1);
      pretty(out, element, depth + 1);
    }
    out << "\n";
    indent(depth);
    out << "]";
  } else {
    out << boost::json::serialize(value);
  }
}

}  // namespace

std::string pretty_json(std::string_view text) {
  boost::system::error_code ec;
  const auto value = boost::json::parse(text, ec);
  if (ec) return std::string(text);
  std::ostringstream out;
  pretty(out, value, 0);
  return out.str();
}

}  // namespace issuerctl
