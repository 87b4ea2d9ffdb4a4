// Each area of the REST API adds its routes to the table (F-PANEL). One function per file:
// api/auth_routes.cpp, api/domain_routes.cpp, ... ; all_routes() calls every one of them.
#pragma once
#include "api/route_table.hpp"

namespace pw::api {

void add_auth_routes(RouteTable& table);        // login, logout, me, accounts, API tokens
void add_domain_routes(RouteTable& table);      // domains, aliases, BATV switch, NRD
void add_user_routes(RouteTable& table);        // the three kinds of outgoing users, settings
void add_identity_routes(RouteTable& table);    // identities, locks and unlocks
void add_settings_routes(RouteTable& table);    // abuse contact, templates
void add_quarantine_routes(RouteTable& table);  // list, view, raw, release, delete
void add_log_routes(RouteTable& table);         // log search, one message's decision trail
void add_queue_routes(RouteTable& table);       // queue list, show, flush, delete
void add_dkim_routes(RouteTable& table);        // DKIM keys with the DNS record to publish
void add_hash_routes(RouteTable& table);        // the hash block list
void add_stats_routes(RouteTable& table);       // dashboard: counts per hour/day, top senders
void add_archive_routes(RouteTable& table);     // archive search and export

// The whole API, in the order above.
RouteTable all_routes();

}  // namespace pw::api
