// The JSON forms of the domain, user and identity areas of the REST API (docs/API.md: Domain,
// User, UserDetail, identity items, locks), made from what the services return, and the reading
// of the JSON values these areas take (settings as text, booleans, optional strings).
// Trust: request values come from logged-in panel users; each is type-checked here and validated
// by the services.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/api_context.hpp"
#include "api/route_support.hpp"
#include "http/message.hpp"
#include "service/domain_service.hpp"
#include "service/identity_service.hpp"
#include "service/outcome.hpp"
#include "service/user_service.hpp"

namespace pw::api {

// "2026-11-26T05:00:00Z"; null for 0 (never).
nlohmann::json iso_time(int64_t unix_seconds);

nlohmann::json domain_json(const service::DomainView& view);
nlohmann::json user_json(const store::User& user, bool locked);
nlohmann::json lock_json(const std::optional<policy::LockState>& lock, bool in_force);
nlohmann::json user_detail_json(const service::UserDetail& detail);
nlohmann::json identity_json(const service::IdentityView& view);

// A JSON value as the text a setting takes: strings as they are, numbers in decimal, booleans
// as "true"/"false", null as "" (back to the default). Arrays and objects are refused.
service::Outcome<std::string> setting_text(const std::string& key, const nlohmann::json& value);
// {"key": value, ...} into key=value pairs, in key order.
service::Outcome<std::vector<std::pair<std::string, std::string>>> settings_pairs(
    const nlohmann::json& settings);
// body[key] as a string when present (null counts as absent unless `null_as_empty`).
service::Outcome<std::optional<std::string>> optional_string(const nlohmann::json& body,
                                                             const std::string& key,
                                                             bool null_as_empty = false);
service::Outcome<bool> optional_bool(const nlohmann::json& body, const std::string& key,
                                     bool fallback);

// The request's path parameter (always present for a matched route).
std::string path_param(const http::Request& request, const std::string& name);

}  // namespace pw::api
