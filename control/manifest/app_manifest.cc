#include "control/manifest/app_manifest.h"

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace foundry::control {

namespace {

// A YAML value as JSON: maps and lists as they are, scalars as numbers, booleans or null when
// they read as such (YAML's plain scalars are untyped), else strings.
nlohmann::json yamlToJson(const YAML::Node& n) {
  if (n.IsMap()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& kv : n) out[kv.first.as<std::string>()] = yamlToJson(kv.second);
    return out;
  }
  if (n.IsSequence()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : n) out.push_back(yamlToJson(v));
    return out;
  }
  if (!n.IsScalar()) return nullptr;
  const std::string text = n.Scalar();
  if (n.Tag() == "!") return text;  // quoted: a string
  if (text == "true" || text == "false") return text == "true";
  if (text == "null" || text == "~") return nullptr;
  auto number = nlohmann::json::parse(text, nullptr, false);
  return number.is_number() ? number : nlohmann::json(text);
}

std::string scalar(const YAML::Node& n, const std::string& where) {
  if (!n.IsScalar()) throw ManifestError(where + " must be a string");
  return n.as<std::string>();
}

int64_t integer(const YAML::Node& n, const std::string& where) {
  std::string s = scalar(n, where);
  try {
    size_t used = 0;
    long long v = std::stoll(s, &used);
    if (used == s.size()) return v;
  } catch (const std::exception&) {
  }
  throw ManifestError(where + " must be an integer");
}

bool boolean(const YAML::Node& n, const std::string& where) {
  std::string s = scalar(n, where);
  if (s == "true") return true;
  if (s == "false") return false;
  throw ManifestError(where + " must be a boolean");
}

int64_t megabytes(const YAML::Node& n, const std::string& where) {
  auto v = parseMegabytes(scalar(n, where));
  if (!v) throw ManifestError(where + " must use a supported unit: B, K, KB, M, MB, G, GB, T, or TB");
  return *v;
}

// The keys a process and the app level share.
void readProcess(const YAML::Node& n, const std::string& where, ProcessManifest* p) {
  if (n["instances"]) p->instances = integer(n["instances"], where + " instances");
  if (p->instances && *p->instances < 0) {
    throw ManifestError(where + " instances must be greater than or equal to 0");
  }
  if (n["memory"]) p->memory_mb = megabytes(n["memory"], where + " memory");
  for (const char* k : {"disk_quota", "disk-quota"}) {
    if (n[k]) p->disk_mb = megabytes(n[k], where + " disk_quota");
  }
  if (n["command"]) p->command = scalar(n["command"], where + " command");
  if (n["health-check-type"]) {
    std::string t = scalar(n["health-check-type"], where + " health-check-type");
    if (t == "none") t = "process";
    if (t != "port" && t != "process" && t != "http") {
      throw ManifestError(where + " health-check-type must be port, process or http");
    }
    p->health_check_type = t;
  }
  if (n["health-check-http-endpoint"]) {
    p->health_check_endpoint =
        scalar(n["health-check-http-endpoint"], where + " health-check-http-endpoint");
  }
  if (n["timeout"]) p->timeout = integer(n["timeout"], where + " timeout");
}

}  // namespace

std::optional<int64_t> parseMegabytes(const std::string& raw) {
  std::string t;
  for (char c : raw) {
    if (!std::isspace(static_cast<unsigned char>(c))) t += static_cast<char>(std::toupper(c));
  }
  size_t digits = 0;
  while (digits < t.size() && std::isdigit(static_cast<unsigned char>(t[digits]))) ++digits;
  if (digits == 0 || digits > 12) return std::nullopt;
  int64_t n = std::stoll(t.substr(0, digits));
  std::string unit = t.substr(digits);
  if (unit.empty() || unit == "M" || unit == "MB") return n;
  if (unit == "G" || unit == "GB") return n * 1024;
  if (unit == "T" || unit == "TB") return n * 1024 * 1024;
  if (unit == "K" || unit == "KB") return n / 1024;
  if (unit == "B") return n / (1024 * 1024);
  return std::nullopt;
}

std::vector<AppManifest> parseAppManifest(const std::string& yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    throw ManifestError(std::string("Manifest is not valid YAML: ") + e.what());
  }
  if (!root.IsMap() || !root["applications"] || !root["applications"].IsSequence() ||
      root["applications"].size() == 0) {
    throw ManifestError("Applications must have at least 1 application");
  }
  std::vector<AppManifest> apps;
  for (const auto& a : root["applications"]) {
    if (!a.IsMap()) throw ManifestError("Applications must be a list of maps");
    AppManifest m;
    if (!a["name"]) throw ManifestError("Name must not be empty");
    m.name = scalar(a["name"], "name");
    if (m.name.empty()) throw ManifestError("Name must not be empty");
    const std::string where = "For application '" + m.name + "':";
    try {
      readProcess(a, where, &m.web);
      if (a["buildpacks"]) {
        if (!a["buildpacks"].IsSequence()) throw ManifestError(where + " buildpacks must be a list");
        m.buildpacks.emplace();
        for (const auto& b : a["buildpacks"]) m.buildpacks->push_back(scalar(b, where + " buildpacks"));
      } else if (a["buildpack"]) {
        std::string b = scalar(a["buildpack"], where + " buildpack");
        m.buildpacks = b.empty() || b == "default" || b == "null" ? std::vector<std::string>{}
                                                                  : std::vector<std::string>{b};
      }
      if (a["stack"]) m.stack = scalar(a["stack"], where + " stack");
      if (a["docker"]) {
        const YAML::Node& d = a["docker"];
        if (!d.IsMap() || !d["image"]) throw ManifestError(where + " docker must have an image");
        m.docker_image = scalar(d["image"], where + " docker image");
        if (d["username"]) m.docker_username = scalar(d["username"], where + " docker username");
        if (m.buildpacks || m.stack) {
          throw ManifestError(where +
                              " Cannot use the combination of properties: docker, buildpacks");
        }
      }
      if (a["routes"]) {
        if (!a["routes"].IsSequence()) throw ManifestError(where + " routes must be a list");
        m.routes.emplace();
        for (const auto& r : a["routes"]) {
          if (!r.IsMap() || !r["route"]) {
            throw ManifestError(where + " routes must be a list of route objects");
          }
          m.routes->push_back(scalar(r["route"], where + " route"));
        }
      }
      if (a["default-route"]) m.default_route = boolean(a["default-route"], where + " default-route");
      if (a["no-route"]) m.no_route = boolean(a["no-route"], where + " no-route");
      if (a["random-route"]) m.random_route = boolean(a["random-route"], where + " random-route");
      if (m.no_route && m.routes && !m.routes->empty()) {
        throw ManifestError(where + " Cannot use the combination of properties: no-route, routes");
      }
      if (a["env"]) {
        if (!a["env"].IsMap()) throw ManifestError(where + " env must be a map");
        for (const auto& kv : a["env"]) {
          std::string key = scalar(kv.first, where + " env key");
          if (kv.second.IsNull()) {
            m.env[key] = std::nullopt;
          } else {
            m.env[key] = scalar(kv.second, where + " env " + key);
          }
        }
      }
      if (a["services"]) {
        if (!a["services"].IsSequence()) throw ManifestError(where + " services must be a list");
        for (const auto& sv : a["services"]) {
          ServiceManifest service;
          if (sv.IsScalar()) {
            service.name = scalar(sv, where + " service");
          } else if (sv.IsMap() && sv["name"]) {
            service.name = scalar(sv["name"], where + " service name");
            if (sv["binding_name"]) {
              service.binding_name = scalar(sv["binding_name"], where + " service binding_name");
            }
            if (sv["parameters"]) {
              if (!sv["parameters"].IsMap()) {
                throw ManifestError(where + " service parameters must be a map");
              }
              service.parameters = yamlToJson(sv["parameters"]).dump();
            }
          } else {
            throw ManifestError(where + " services must be names or maps with a name");
          }
          if (service.name.empty()) throw ManifestError(where + " service name must not be empty");
          m.services.push_back(std::move(service));
        }
      }
      if (a["processes"]) {
        if (!a["processes"].IsSequence()) throw ManifestError(where + " processes must be a list");
        for (const auto& p : a["processes"]) {
          if (!p.IsMap() || !p["type"]) throw ManifestError(where + " Process type must not be empty");
          ProcessManifest pm;
          pm.type = scalar(p["type"], where + " process type");
          readProcess(p, where + " process " + pm.type, &pm);
          m.processes.push_back(std::move(pm));
        }
      }
    } catch (const YAML::Exception& e) {
      throw ManifestError(where + " " + e.what());
    }
    apps.push_back(std::move(m));
  }
  return apps;
}

}  // namespace foundry::control
