// Placeholder until this area's routes are written (issue 7 in progress): adds none.
#include "api/api_routes.hpp"

namespace pw::api {

void add_archive_routes(RouteTable&) {}

}  // namespace pw::api
