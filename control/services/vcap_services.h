#pragma once
// VCAP_SERVICES of an app (PLATFORM-APIS.md A.9), rendered from the store: the API's
// /v3/apps/:guid/env, staging and the desired LRPs all take it from here.
#include <nlohmann/json.hpp>
#include <string>

#include "control/store/store.h"

namespace foundry::control::services {

// {"<label>": [entry, ...]}: per bound instance its newest binding whose create succeeded.
nlohmann::json vcapServices(Store& store, const std::string& app_guid);

}  // namespace foundry::control::services
