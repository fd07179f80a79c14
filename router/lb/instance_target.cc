#include "router/lb/instance_target.h"

namespace foundry::router {
namespace {

bool isLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// 8-4-4-4-12 lower-case hex.
bool isGuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!isLowerHex(s[i])) {
      return false;
    }
  }
  return true;
}

bool isDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

bool parseAppInstanceHeader(std::string_view value, InstanceTarget* out) {
  size_t colon = value.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view guid = value.substr(0, colon);
  std::string_view index = value.substr(colon + 1);
  if (!isGuid(guid) || !isDigits(index)) return false;
  out->kind = InstanceTarget::Kind::App;
  out->guid = std::string(guid);
  out->index = std::string(index);
  return true;
}

bool parseProcessInstanceHeader(std::string_view value, InstanceTarget* out) {
  size_t colon = value.find(':');
  std::string_view guid = value.substr(0, colon);
  std::string_view index =
      colon == std::string_view::npos ? std::string_view{} : value.substr(colon + 1);
  if (!isGuid(guid) || (colon != std::string_view::npos && !isDigits(index))) return false;
  out->kind = InstanceTarget::Kind::Process;
  out->guid = std::string(guid);
  out->index = std::string(index);
  return true;
}

PoolConstSharedPtr targetPool(const Pool& pool, const InstanceTarget& target) {
  std::vector<EndpointSharedPtr> chosen;
  for (const EndpointSharedPtr& e : pool.endpoints()) {
    const EndpointFields& f = e->fields();
    bool match = false;
    if (target.kind == InstanceTarget::Kind::App) {
      match = f.app_id == target.guid && f.private_instance_index == target.index;
    } else if (target.kind == InstanceTarget::Kind::Process) {
      auto it = f.tags.find("process_id");
      match = it != f.tags.end() && it->second == target.guid &&
              (target.index.empty() || f.private_instance_index == target.index);
    }
    if (match) chosen.push_back(e);
  }
  if (chosen.empty()) return nullptr;
  return std::make_shared<Pool>(pool.host(), pool.contextPath(), std::move(chosen),
                                pool.lbAlgorithm());
}

std::string unknownInstanceMessage(const InstanceTarget& target, std::string_view host) {
  const char* what = target.kind == InstanceTarget::Kind::Process ? "process guid" : "guid";
  return "Requested instance ('" + target.index + "') with " + what + " ('" + target.guid +
         "') does not exist for route ('" + std::string(host) + "')";
}

}  // namespace foundry::router
