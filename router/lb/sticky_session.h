#pragma once
// Session affinity with gorouter's __VCAP_ID__ cookie (ROUTER-PROTOCOL.md section 4).
// Request side: a request is sticky only when it carries one of the sticky cookies (JSESSIONID
// by default) AND __VCAP_ID__; then the instance named by __VCAP_ID__ is tried first.
// Response side: __VCAP_ID__ is (re)issued when the app set a sticky cookie, or when a sticky
// request landed on another instance (re-pin); never when the app set __VCAP_ID__ itself or the
// endpoint has no instance id. Its Path is the route's context path; HttpOnly always; Expires,
// SameSite and Partitioned copied from the app's cookie; Max-Age only when negative (deletion);
// Secure when the app's cookie is Secure or secure_cookies is on.

#include <string>
#include <string_view>
#include <vector>

#include "router/http/message_parser.h"
#include "router/route/endpoint.h"

namespace foundry::router {

inline constexpr std::string_view kVcapCookie = "__VCAP_ID__";

// The instance id to pin the request to, or "".
std::string stickyInstanceId(const MessageHead& request,
                             const std::vector<std::string>& sticky_cookie_names);

// The Set-Cookie value to add to the response ("" for none).
std::string vcapIdSetCookie(const MessageHead& response,
                            const std::vector<std::string>& sticky_cookie_names,
                            std::string_view requested_instance, const Endpoint& endpoint,
                            std::string_view context_path, bool secure_cookies);

}  // namespace foundry::router
