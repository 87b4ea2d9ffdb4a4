// Route matching for the REST API: literal segments compare exactly, {name} segments take one
// percent-decoded segment (so a CIDR user "10.0.0.0%2F24" is one segment).
#include "api/route_table.hpp"

#include "http/request_target.hpp"

namespace pw::api {
namespace {

std::vector<std::string_view> split_segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  if (!path.empty() && path.front() == '/') start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

}  // namespace

void RouteTable::add(Route route) { routes_.push_back(std::move(route)); }

std::optional<RouteMatch> RouteTable::match(http::Method method, std::string_view raw_path,
                                            bool* method_mismatch) const {
  if (method_mismatch) *method_mismatch = false;
  auto segments = split_segments(raw_path);
  for (const auto& route : routes_) {
    auto pattern = split_segments(route.pattern);
    if (pattern.size() != segments.size()) continue;
    RouteMatch found{&route, {}};
    bool ok = true;
    for (size_t i = 0; i < pattern.size() && ok; ++i) {
      std::string_view p = pattern[i];
      if (p.size() >= 2 && p.front() == '{' && p.back() == '}') {
        auto value = http::percent_decode(segments[i]);
        if (!value || value->empty()) {
          ok = false;
        } else {
          found.path_params[std::string(p.substr(1, p.size() - 2))] = std::move(*value);
        }
      } else {
        ok = p == segments[i];
      }
    }
    if (!ok) continue;
    if (route.method != method) {
      if (method_mismatch) *method_mismatch = true;
      continue;
    }
    return found;
  }
  return std::nullopt;
}

std::string_view to_string(http::Method method) {
  switch (method) {
    case http::Method::kGet:
      return "GET";
    case http::Method::kPost:
      return "POST";
    case http::Method::kPut:
      return "PUT";
    case http::Method::kPatch:
      return "PATCH";
    case http::Method::kDelete:
      return "DELETE";
  }
  return "GET";
}

}  // namespace pw::api
