#include "api/tenant_json.hpp"

#include "service/paging.hpp"

namespace pw::api {

nlohmann::json iso_time(int64_t unix_seconds) {
  if (unix_seconds <= 0) return nullptr;
  return service::iso_time(unix_seconds);
}

nlohmann::json domain_json(const service::DomainView& view) {
  return {{"name", view.domain.name},
          {"admin_contact", view.domain.admin_contact},
          {"dkim_selector", view.domain.dkim_selector},
          {"aliases", view.aliases},
          {"route", view.route.empty() ? nlohmann::json(nullptr) : nlohmann::json(view.route)},
          {"spam_threshold",
           view.spam_threshold ? nlohmann::json(*view.spam_threshold) : nlohmann::json(nullptr)},
          {"batv", view.batv},
          {"created", iso_time(view.domain.created_at)},
          {"user_count", view.domain.user_count}};
}

nlohmann::json user_json(const store::User& user, bool locked) {
  return {{"name", user.name},
          {"kind", mail::to_string(user.kind)},
          {"domain", user.domain},
          {"has_password", user.has_password},
          {"locked", locked},
          {"created", iso_time(user.created_at)},
          {"updated", iso_time(user.updated_at)}};
}

nlohmann::json lock_json(const std::optional<policy::LockState>& lock, bool in_force) {
  if (!lock || !in_force) return nullptr;
  return {{"since", iso_time(lock->locked_at)},
          {"until", iso_time(lock->unlock_at)},
          {"reason", lock->reason},
          {"locked_by", lock->locked_by},
          {"unlocks", lock->automatic_unlocks}};
}

nlohmann::json user_detail_json(const service::UserDetail& detail) {
  auto out = user_json(detail.user, detail.locked);
  nlohmann::json settings = nlohmann::json::object();
  nlohmann::json details = nlohmann::json::array();
  for (const auto& v : policy::effective_settings(detail.user.settings)) {
    settings[std::string(v.def->key)] = v.value;
    details.push_back({{"key", v.def->key},
                       {"value", v.value},
                       {"default", v.def->default_value},
                       {"is_default", v.is_default},
                       {"unit", v.def->unit},
                       {"help", v.def->help}});
  }
  out["settings"] = std::move(settings);
  out["settings_detail"] = std::move(details);
  out["lock"] = lock_json(detail.lock, detail.locked);
  out["automatic_unlocks"] = detail.lock ? detail.lock->automatic_unlocks : 0;
  out["counters"] = {{"last_hour", detail.counters_1h}, {"last_24h", detail.counters_24h}};
  return out;
}

nlohmann::json identity_json(const service::IdentityView& view) {
  auto count = [&](const char* kind) {
    auto it = view.counters_24h.find(kind);
    return it == view.counters_24h.end() ? int64_t{0} : it->second;
  };
  return {{"user", view.user},
          {"identity", view.identity},
          {"domain", view.domain},
          {"manual", view.manual},
          {"locked", view.locked},
          {"lock", lock_json(view.lock, view.locked)},
          {"automatic_unlocks", view.lock ? view.lock->automatic_unlocks : 0},
          {"messages", view.messages},
          {"messages_24h", count("messages")},
          {"spam_24h", count("spam")},
          {"counters_24h", view.counters_24h},
          {"created", iso_time(view.created_at)},
          {"last_seen", iso_time(view.last_seen_at)}};
}

service::Outcome<std::string> setting_text(const std::string& key, const nlohmann::json& value) {
  if (value.is_null()) return std::string();
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return std::string(value.get<bool>() ? "true" : "false");
  if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
  return service::invalid(key + ": give a string, a whole number or a boolean");
}

service::Outcome<std::vector<std::pair<std::string, std::string>>> settings_pairs(
    const nlohmann::json& settings) {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (settings.is_null()) return pairs;
  if (!settings.is_object()) return service::invalid("settings must be a JSON object");
  for (const auto& [key, value] : settings.items()) {
    auto text = setting_text(key, value);
    if (!text) return tl::unexpected(text.error());
    pairs.emplace_back(key, std::move(*text));
  }
  return pairs;
}

service::Outcome<std::optional<std::string>> optional_string(const nlohmann::json& body,
                                                             const std::string& key,
                                                             bool null_as_empty) {
  auto it = body.find(key);
  if (it == body.end()) return std::optional<std::string>();
  if (it->is_null())
    return null_as_empty ? std::optional<std::string>("") : std::optional<std::string>();
  if (!it->is_string()) return service::invalid(key + " must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

service::Outcome<bool> optional_bool(const nlohmann::json& body, const std::string& key,
                                     bool fallback) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) return service::invalid(key + " must be true or false");
  return it->get<bool>();
}

std::string path_param(const http::Request& request, const std::string& name) {
  auto it = request.path_params.find(name);
  return it == request.path_params.end() ? std::string() : it->second;
}

}  // namespace pw::api
