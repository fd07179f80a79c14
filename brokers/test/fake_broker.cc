#include "brokers/test/fake_broker.h"

#include <openssl/rand.h>

#include "brokers/osb/errors.h"

namespace foundry::testbroker {
namespace {

using osb::errorResponse;
using osb::OsbRequest;
using osb::OsbResponse;

constexpr const char* kAsyncPlanId = "f2a1c0de-0000-4000-8000-00000000a5c0";

OsbResponse ok(int status, nlohmann::json body = nlohmann::json::object()) {
  OsbResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::string randomHex(size_t bytes) {
  unsigned char buf[32];
  if (bytes > sizeof buf) bytes = sizeof buf;
  if (RAND_bytes(buf, static_cast<int>(bytes)) != 1) return "0000";
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    out.push_back(digits[buf[i] >> 4]);
    out.push_back(digits[buf[i] & 15]);
  }
  return out;
}

nlohmann::json field(const nlohmann::json& body, const char* name) {
  auto it = body.find(name);
  return it == body.end() ? nlohmann::json() : *it;
}

nlohmann::json objectField(const nlohmann::json& body, const char* name) {
  auto it = body.find(name);
  return it != body.end() && it->is_object() ? *it : nlohmann::json::object();
}

}  // namespace

const char* const kDefaultCatalog = R"({"services":[{
  "id":"f2a1c0de-0000-4000-8000-000000000db0","name":"fake-db",
  "description":"An in-memory fake database for tests","bindable":true,
  "tags":["fake","test"],"plan_updateable":true,
  "instances_retrievable":true,"bindings_retrievable":true,
  "metadata":{"displayName":"Fake DB"},
  "plans":[
    {"id":"f2a1c0de-0000-4000-8000-00000000595c","name":"sync",
     "description":"Created at once","free":true},
    {"id":"f2a1c0de-0000-4000-8000-00000000a5c0","name":"async",
     "description":"Created in the background","free":true,"maximum_polling_duration":600}
  ]}]})";

void FakeBroker::setCatalog(std::string raw) {
  std::lock_guard lock(mu_);
  catalog_ = std::move(raw);
}

std::string FakeBroker::catalogText() {
  std::lock_guard lock(mu_);
  return catalog_;
}

void FakeBroker::setAsyncPolls(int polls) {
  std::lock_guard lock(mu_);
  async_polls_ = polls;
}

nlohmann::json FakeBroker::stateJson() {
  std::lock_guard lock(mu_);
  nlohmann::json instances = nlohmann::json::object(), bindings = nlohmann::json::object();
  for (const auto& [id, i] : instances_) {
    nlohmann::json entry = i.attributes;
    entry["operation"] = i.op ? nlohmann::json(i.op->kind) : nlohmann::json();
    instances[id] = std::move(entry);
  }
  for (const auto& [id, b] : bindings_) {
    nlohmann::json entry = b.attributes;
    entry["instance_id"] = b.instance_id;
    entry["credentials"] = b.credentials;
    entry["operation"] = b.op ? nlohmann::json(b.op->kind) : nlohmann::json();
    bindings[id] = std::move(entry);
  }
  return {{"instances", std::move(instances)}, {"bindings", std::move(bindings)}};
}

bool FakeBroker::planIsAsync(const std::string& plan_id) {
  if (plan_id == kAsyncPlanId) return true;
  // A replaced catalog may declare its own async plans by name; a malformed one has none.
  nlohmann::json catalog = nlohmann::json::parse(catalog_, nullptr, false);
  if (catalog.is_discarded() || !catalog.is_object()) return false;
  for (const auto& service : field(catalog, "services")) {
    if (!service.is_object()) continue;
    for (const auto& plan : field(service, "plans")) {
      if (plan.is_object() && field(plan, "id") == plan_id) return field(plan, "name") == "async";
    }
  }
  return false;
}

FakeBroker::Operation FakeBroker::newOperation(const char* kind) {
  return Operation{std::string(kind) + "-" + std::to_string(next_op_++), kind, async_polls_};
}

nlohmann::json FakeBroker::poll(std::optional<Operation>& op, std::string* finished_kind) {
  finished_kind->clear();
  if (op && op->polls_left > 0) {
    --op->polls_left;
    return {{"state", "in progress"}, {"description", op->kind + " in progress"}};
  }
  std::string kind = op ? op->kind : "";
  *finished_kind = kind;
  op.reset();
  return {{"state", "succeeded"}, {"description", kind.empty() ? "done" : kind + " succeeded"}};
}

OsbResponse FakeBroker::catalog(const OsbRequest&) {
  OsbResponse r;
  r.raw_body = catalogText();
  return r;
}

OsbResponse FakeBroker::provision(const OsbRequest& req) {
  nlohmann::json attributes = {{"service_id", req.body["service_id"]},
                               {"plan_id", req.body["plan_id"]},
                               {"organization_guid", req.body["organization_guid"]},
                               {"space_guid", req.body["space_guid"]},
                               {"parameters", objectField(req.body, "parameters")}};
  std::lock_guard lock(mu_);
  bool async = planIsAsync(req.body["plan_id"].get<std::string>());
  if (async && !req.acceptsIncomplete()) return osb::asyncRequired();
  if (auto it = instances_.find(req.instance_id); it != instances_.end()) {
    if (it->second.attributes != attributes) {
      return errorResponse(409, "Conflict", "instance exists with different attributes");
    }
    if (it->second.op && it->second.op->kind == "provision") {
      return ok(202, {{"operation", it->second.op->id}});
    }
    if (it->second.op) return osb::concurrencyError();
    return ok(200);
  }
  deprovisioned_.erase(req.instance_id);
  Instance instance{attributes, std::nullopt};
  if (async) {
    instance.op = newOperation("provision");
    std::string op_id = instance.op->id;
    instances_[req.instance_id] = std::move(instance);
    return ok(202, {{"operation", op_id}});
  }
  instances_[req.instance_id] = std::move(instance);
  return ok(201, {{"dashboard_url", nullptr}});
}

OsbResponse FakeBroker::fetchInstance(const OsbRequest& req) {
  std::lock_guard lock(mu_);
  auto it = instances_.find(req.instance_id);
  if (it == instances_.end() || (it->second.op && it->second.op->kind == "provision")) {
    return errorResponse(404, "NotFound", "no such instance");
  }
  if (it->second.op && it->second.op->kind == "update") return osb::concurrencyError();
  const nlohmann::json& a = it->second.attributes;
  return ok(200, {{"service_id", a["service_id"]},
                  {"plan_id", a["plan_id"]},
                  {"parameters", a["parameters"]}});
}

OsbResponse FakeBroker::update(const OsbRequest& req) {
  std::lock_guard lock(mu_);
  auto it = instances_.find(req.instance_id);
  if (it == instances_.end()) return errorResponse(404, "NotFound", "no such instance");
  Instance& instance = it->second;
  if (instance.op) return osb::concurrencyError();
  nlohmann::json plan = field(req.body, "plan_id");
  std::string plan_id = plan.is_string() ? plan.get<std::string>()
                                         : instance.attributes["plan_id"].get<std::string>();
  bool async = planIsAsync(plan_id) || planIsAsync(instance.attributes["plan_id"]);
  if (async && !req.acceptsIncomplete()) return osb::asyncRequired();
  instance.attributes["plan_id"] = plan_id;
  if (req.body.contains("parameters")) {
    instance.attributes["parameters"] = objectField(req.body, "parameters");
  }
  if (async) {
    instance.op = newOperation("update");
    return ok(202, {{"operation", instance.op->id}});
  }
  return ok(200);
}

OsbResponse FakeBroker::deprovision(const OsbRequest& req) {
  std::lock_guard lock(mu_);
  auto it = instances_.find(req.instance_id);
  if (it == instances_.end()) return ok(410);
  if (it->second.op && it->second.op->kind == "deprovision") {
    return ok(202, {{"operation", it->second.op->id}});
  }
  // A delete halts a create in progress (A.4); anything else in flight blocks it.
  if (it->second.op && it->second.op->kind != "provision") return osb::concurrencyError();
  bool async = planIsAsync(it->second.attributes["plan_id"]);
  if (async && !req.acceptsIncomplete()) return osb::asyncRequired();
  if (async) {
    it->second.op = newOperation("deprovision");
    return ok(202, {{"operation", it->second.op->id}});
  }
  std::erase_if(bindings_, [&](const auto& b) { return b.second.instance_id == req.instance_id; });
  instances_.erase(it);
  return ok(200);
}

OsbResponse FakeBroker::instanceLastOperation(const OsbRequest& req) {
  std::lock_guard lock(mu_);
  auto it = instances_.find(req.instance_id);
  if (it == instances_.end()) {
    if (deprovisioned_.count(req.instance_id)) return ok(410);
    return errorResponse(404, "NotFound", "no such instance");
  }
  std::string finished;
  nlohmann::json body = poll(it->second.op, &finished);
  if (finished == "deprovision") {
    std::erase_if(bindings_,
                  [&](const auto& b) { return b.second.instance_id == req.instance_id; });
    instances_.erase(it);
    deprovisioned_.insert(req.instance_id);
  }
  return ok(200, body);
}

OsbResponse FakeBroker::bind(const OsbRequest& req) {
  nlohmann::json app_guid = field(req.body, "app_guid");
  if (app_guid.is_null()) app_guid = field(objectField(req.body, "bind_resource"), "app_guid");
  nlohmann::json attributes = {{"service_id", req.body["service_id"]},
                               {"plan_id", req.body["plan_id"]},
                               {"app_guid", app_guid},
                               {"parameters", objectField(req.body, "parameters")}};
  std::lock_guard lock(mu_);
  auto instance = instances_.find(req.instance_id);
  if (instance == instances_.end()) return errorResponse(404, "NotFound", "no such instance");
  if (instance->second.op) return osb::concurrencyError();
  if (auto it = bindings_.find(req.binding_id); it != bindings_.end()) {
    if (it->second.instance_id != req.instance_id || it->second.attributes != attributes) {
      return errorResponse(409, "Conflict", "binding exists with different attributes");
    }
    if (it->second.op) return ok(202, {{"operation", it->second.op->id}});
    return ok(200, {{"credentials", it->second.credentials}});
  }
  unbound_.erase(req.binding_id);
  std::string user = "u" + randomHex(6), password = randomHex(16);
  Binding binding{req.instance_id, attributes,
                  {{"username", user},
                   {"password", password},
                   {"uri", "fake://" + user + ":" + password + "@127.0.0.1:5432/" +
                               req.instance_id}},
                  std::nullopt};
  bool async = planIsAsync(req.body["plan_id"].get<std::string>()) && req.acceptsIncomplete();
  if (async) binding.op = newOperation("bind");
  nlohmann::json credentials = binding.credentials;
  std::optional<Operation> op = binding.op;
  bindings_[req.binding_id] = std::move(binding);
  // Credentials never go in a 202 (A.4): the platform fetches them once the bind succeeded.
  if (op) return ok(202, {{"operation", op->id}});
  return ok(201, {{"credentials", credentials}});
}

OsbResponse FakeBroker::fetchBinding(const OsbRequest& req) {
  std::lock_guard lock(mu_);
  auto it = bindings_.find(req.binding_id);
  if (it == bindings_.end() || it->second.instance_id != req.instance_id ||
      (it->second.op && it->second.op->kind == "bind")) {
    return errorResponse(404, "NotFound", "no such binding");
  }
  return ok(200, {{"credentials", it->second.credentials},
                  {"parameters", it->second.attributes["parameters"]}});
}

OsbResponse FakeBroker::unbind(const OsbRequest& req) {
  std::lock_guard lock(mu_);
  auto it = bindings_.find(req.binding_id);
  if (it == bindings_.end() || it->second.instance_id != req.instance_id) return ok(410);
  if (it->second.op && it->second.op->kind == "unbind") {
    return ok(202, {{"operation", it->second.op->id}});
  }
  bool async = planIsAsync(it->second.attributes["plan_id"]) && req.acceptsIncomplete();
  if (async) {
    it->second.op = newOperation("unbind");
    return ok(202, {{"operation", it->second.op->id}});
  }
  bindings_.erase(it);
  return ok(200);
}

OsbResponse FakeBroker::bindingLastOperation(const OsbRequest& req) {
  std::lock_guard lock(mu_);
  auto it = bindings_.find(req.binding_id);
  if (it == bindings_.end()) {
    if (unbound_.count(req.binding_id)) return ok(410);
    return errorResponse(404, "NotFound", "no such binding");
  }
  std::string finished;
  nlohmann::json body = poll(it->second.op, &finished);
  if (finished == "unbind") {
    bindings_.erase(it);
    unbound_.insert(req.binding_id);
  }
  return ok(200, body);
}

}  // namespace foundry::testbroker
