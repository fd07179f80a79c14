// SqliteStore's deployments table (migration 4), declared once (sqlite_table.h).
#include "control/store/sqlite_store.h"
#include "control/store/sqlite_table.h"

namespace foundry::control {
namespace {

using sqlite::field;
using sqlite::Table;
using sqlite::Where;

const Table<Deployment> kDeployments{
    "deployments",
    {field("guid", &Deployment::guid), field("app_guid", &Deployment::app_guid),
     field("state", &Deployment::state), field("status_value", &Deployment::status_value),
     field("status_reason", &Deployment::status_reason), field("strategy", &Deployment::strategy),
     field("droplet_guid", &Deployment::droplet_guid),
     field("previous_droplet_guid", &Deployment::previous_droplet_guid),
     field("previous_versions", &Deployment::previous_versions),
     field("created_at", &Deployment::created_at), field("updated_at", &Deployment::updated_at)}};

}  // namespace

WriteResult SqliteStore::createDeployment(const Deployment& d) {
  return kDeployments.insert(db_, d);
}
std::optional<Deployment> SqliteStore::getDeployment(const std::string& guid) {
  return kDeployments.get(db_, guid);
}
std::vector<Deployment> SqliteStore::listDeployments(const DeploymentFilter& f) {
  return kDeployments.list(db_, Where()
                                    .in("guid", f.guids)
                                    .in("app_guid", f.app_guids)
                                    .in("state", f.states)
                                    .in("status_value", f.status_values)
                                    .inParent("app_guid", "apps", "space_guid", f.space_guids));
}
WriteResult SqliteStore::updateDeployment(const Deployment& d) {
  return kDeployments.update(db_, d);
}

}  // namespace foundry::control
