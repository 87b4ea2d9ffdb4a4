// The /metrics page (F-PANEL): the message counters of the sessions and the queue, the queue's
// size, SMTP sessions open, locks in force, scan times and HTTP answers, in the Prometheus text
// exposition format.
#pragma once
#include <string>

namespace pw::api {

class ApiContext;

// Blocking (reads the locks table).
std::string render_metrics_page(ApiContext& context);

}  // namespace pw::api
