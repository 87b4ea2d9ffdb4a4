// One HTTP request and response as the API's handlers see them: parsed, bounded, and free of
// Beast types, so handlers and their tests need no sockets.
#pragma once
#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace pw::http {

enum class Method { kGet, kPost, kPut, kPatch, kDelete };

struct Request {
  Method method = Method::kGet;
  std::string path;                                // decoded path without the query
  std::map<std::string, std::string> query;        // decoded query parameters (last one wins)
  std::map<std::string, std::string> path_params;  // {name} segments of the matched route
  std::map<std::string, std::string> headers;      // lower-case names
  std::string body;
  std::string client_ip;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Set-Cookie, ...)
  std::chrono::milliseconds delay{0};  // the server waits this long before answering (a login
                                       // slowed down), on its event loop, not on a worker
};

}  // namespace pw::http
