#include "api/api_routes.hpp"

namespace pw::api {

RouteTable all_routes() {
  RouteTable table;
  add_auth_routes(table);
  add_domain_routes(table);
  add_user_routes(table);
  add_identity_routes(table);
  add_settings_routes(table);
  add_quarantine_routes(table);
  add_log_routes(table);
  add_queue_routes(table);
  add_dkim_routes(table);
  add_hash_routes(table);
  add_stats_routes(table);
  add_archive_routes(table);
  return table;
}

}  // namespace pw::api
