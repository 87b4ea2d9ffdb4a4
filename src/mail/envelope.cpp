// The envelope's one-line JSON form, the first line of every spool, quarantine and archive file.
// Trust: a line read back from disk may be damaged; from_json_line refuses it with a reason.
#include "mail/envelope.hpp"

#include <nlohmann/json.hpp>

namespace pw::mail {

std::string Envelope::to_json_line() const {
  nlohmann::json j = {{"id", id},
                      {"received_at", received_at},
                      {"client_ip", client_ip},
                      {"helo", helo},
                      {"tls", tls},
                      {"auth_user", auth_user ? nlohmann::json(*auth_user) : nlohmann::json()},
                      {"sender_kind", to_string(sender_kind)},
                      {"sender", sender},
                      {"domain", domain},
                      {"mail_from", mail_from},
                      {"rcpt_to", rcpt_to},
                      {"size", size},
                      {"body", to_string(body)},
                      {"smtputf8", smtputf8},
                      {"identity", identity}};
  // Invalid UTF-8 from a client must not make the writer throw: replace it.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<Envelope> Envelope::from_json_line(std::string_view line) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("spool envelope is not a JSON object");
  try {
    Envelope e;
    e.id = j.at("id").get<std::string>();
    e.received_at = j.at("received_at").get<int64_t>();
    e.client_ip = j.at("client_ip").get<std::string>();
    e.helo = j.at("helo").get<std::string>();
    e.tls = j.at("tls").get<bool>();
    if (!j.at("auth_user").is_null()) e.auth_user = j.at("auth_user").get<std::string>();
    auto origin = parse_origin(j.at("sender_kind").get<std::string>());
    if (!origin) return fail("spool envelope: unknown sender_kind");
    e.sender_kind = *origin;
    e.sender = j.at("sender").get<std::string>();
    e.domain = j.at("domain").get<std::string>();
    e.mail_from = j.at("mail_from").get<std::string>();
    e.rcpt_to = j.at("rcpt_to").get<std::vector<std::string>>();
    e.size = j.at("size").get<uint64_t>();
    auto body = parse_body_type(j.at("body").get<std::string>());
    if (!body) return fail("spool envelope: unknown body type");
    e.body = *body;
    e.smtputf8 = j.at("smtputf8").get<bool>();
    e.identity = j.value("identity", std::string());  // absent in files of older versions
    return e;
  } catch (const nlohmann::json::exception& ex) {
    return fail(std::string("spool envelope: ") + ex.what());
  }
}

}  // namespace pw::mail
