#include "http/router.h"

#include "common/assert.h"

namespace issuerd::http {

const std::string& PathParams::get(std::string_view name) const {
  for (const auto& [key, value] : values_) {
    if (key == name) return value;
  }
  ISSUERD_ASSERT(false && "route pattern has no such parameter");
  std::abort();
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) segments.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

void Router::add(std::string method, std::string pattern, RouteHandler handler) {
  Route route{std::move(method), std::move(pattern), {}, std::move(handler)};
  for (std::string_view segment : split_path(route.pattern)) route.segments.emplace_back(segment);
  routes_.push_back(std::move(route));
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  const auto segments = split_path(path);
  Match result;
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    PathParams params;
    bool matches = true;
    for (std::size_t i = 0; i < segments.size() && matches; ++i) {
      const std::string& expected = route.segments[i];
      if (expected.size() > 2 && expected.front() == '{' && expected.back() == '}') {
        params.add(expected.substr(1, expected.size() - 2), std::string(segments[i]));
      } else {
        matches = expected == segments[i];
      }
    }
    if (!matches) continue;
    if (route.method != method) {
      result.path_known = true;
      continue;
    }
    result.handler = &route.handler;
    result.pattern = route.pattern;
    result.params = std::move(params);
    return result;
  }
  return result;
}

}  // namespace issuerd::http
