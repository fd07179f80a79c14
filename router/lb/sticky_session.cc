#include "router/lb/sticky_session.h"

#include "router/http/head_rewriter.h"

namespace foundry::router {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool isStickyName(std::string_view name, const std::vector<std::string>& names) {
  for (const std::string& n : names) {
    if (n == name) return true;
  }
  return false;
}

// Splits "a=1; b=2" into name/value pairs and calls visit(name, value).
template <typename Visit>
void forEachPair(std::string_view header, Visit visit) {
  while (!header.empty()) {
    size_t semi = header.find(';');
    std::string_view item = trim(header.substr(0, semi));
    size_t eq = item.find('=');
    std::string_view name = trim(item.substr(0, eq));
    std::string_view value = eq == std::string_view::npos ? std::string_view{} : trim(item.substr(eq + 1));
    if (!name.empty()) visit(name, value);
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
}

// The attributes of the app's sticky cookie that carry over to __VCAP_ID__.
struct CookieAttributes {
  std::string expires;
  std::string same_site;
  bool secure = false;
  bool partitioned = false;
  bool delete_cookie = false;  // negative Max-Age
};

}  // namespace

std::string stickyInstanceId(const MessageHead& request,
                             const std::vector<std::string>& sticky_cookie_names) {
  bool has_sticky = false;
  std::string_view vcap_id;
  for (const HeaderField& h : request.headers) {
    if (!equalsIgnoreCase(h.name, "Cookie")) continue;
    forEachPair(h.value, [&](std::string_view name, std::string_view value) {
      if (name == kVcapCookie) {
        vcap_id = value;
      } else if (isStickyName(name, sticky_cookie_names)) {
        has_sticky = true;
      }
    });
  }
  return has_sticky ? std::string(vcap_id) : std::string();
}

std::string vcapIdSetCookie(const MessageHead& response,
                            const std::vector<std::string>& sticky_cookie_names,
                            std::string_view requested_instance, const Endpoint& endpoint,
                            std::string_view context_path, bool secure_cookies) {
  const std::string& instance = endpoint.fields().private_instance_id;
  if (instance.empty()) return "";
  bool set = !requested_instance.empty() && requested_instance != instance;
  bool found_app_cookie = false;
  CookieAttributes attrs;
  for (const HeaderField& h : response.headers) {
    if (!equalsIgnoreCase(h.name, "Set-Cookie")) continue;
    std::string_view value = h.value;
    std::string_view first = trim(value.substr(0, value.find(';')));
    std::string_view name = trim(first.substr(0, first.find('=')));
    if (name == kVcapCookie) return "";  // the app manages it itself
    if (found_app_cookie || !isStickyName(name, sticky_cookie_names)) continue;
    found_app_cookie = true;
    set = true;
    size_t semi = value.find(';');
    if (semi == std::string_view::npos) continue;
    forEachPair(value.substr(semi + 1), [&](std::string_view key, std::string_view v) {
      if (equalsIgnoreCase(key, "Expires")) attrs.expires = std::string(v);
      if (equalsIgnoreCase(key, "SameSite")) attrs.same_site = std::string(v);
      if (equalsIgnoreCase(key, "Secure")) attrs.secure = true;
      if (equalsIgnoreCase(key, "Partitioned")) attrs.partitioned = true;
      if (equalsIgnoreCase(key, "Max-Age") && !v.empty() && v[0] == '-') attrs.delete_cookie = true;
    });
  }
  if (!set) return "";
  // Attribute order as Go's http.Cookie.String() writes them.
  std::string cookie(kVcapCookie);
  cookie += "=" + instance;
  cookie += "; Path=";
  cookie += context_path.empty() ? std::string_view("/") : context_path;
  if (!attrs.expires.empty()) cookie += "; Expires=" + attrs.expires;
  if (attrs.delete_cookie) cookie += "; Max-Age=0";
  cookie += "; HttpOnly";
  if (attrs.secure || secure_cookies) cookie += "; Secure";
  if (!attrs.same_site.empty()) cookie += "; SameSite=" + attrs.same_site;
  if (attrs.partitioned) cookie += "; Partitioned";
  return cookie;
}

}  // namespace foundry::router
