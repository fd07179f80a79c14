// SqliteStore's packages and droplets (migrations 2 and 8), each table declared once
// (sqlite_table.h); builds stay in sqlite_store.cc. A Docker package's and droplet's registry
// password is sealed in the file ("" when there is none).
#include "control/store/sqlite_staging.h"

#include "control/store/sqlite_sealed.h"
#include "control/store/sqlite_store.h"
#include "control/store/sqlite_table.h"

namespace foundry::control {

using sqlite::field;
using sqlite::inTransaction;
using sqlite::sealedOrEmpty;
using sqlite::Stmt;
using sqlite::Table;
using sqlite::Transaction;
using sqlite::Where;
using sqlite::withTimes;

struct StagingTables {
  explicit StagingTables(const crypto::FieldCipher* cipher)
      : packages{"packages",
                 withTimes<Package>(
                     {field("guid", &Package::guid), field("app_guid", &Package::app_guid),
                      field("type", &Package::type), field("state", &Package::state),
                      field("sha256", &Package::sha256), field("error", &Package::error),
                      field("docker_image", &Package::docker_image),
                      field("docker_username", &Package::docker_username),
                      sealedOrEmpty("docker_password", &Package::docker_password, cipher)})},
        droplets{"droplets",
                 withTimes<Droplet>(
                     {field("guid", &Droplet::guid), field("app_guid", &Droplet::app_guid),
                      field("package_guid", &Droplet::package_guid),
                      field("build_guid", &Droplet::build_guid),
                      field("state", &Droplet::state),
                      field("process_types", &Droplet::process_types),
                      field("sha256", &Droplet::sha256),
                      field("buildpacks", &Droplet::buildpacks),
                      field("start_command", &Droplet::start_command),
                      field("stack", &Droplet::stack),
                      field("docker_image", &Droplet::docker_image),
                      field("docker_username", &Droplet::docker_username),
                      sealedOrEmpty("docker_password", &Droplet::docker_password, cipher),
                      field("execution_metadata", &Droplet::execution_metadata)})} {}

  Table<Package> packages;
  Table<Droplet> droplets;
};

std::unique_ptr<StagingTables, StagingTablesDeleter> makeStagingTablesOwned(
    const crypto::FieldCipher* cipher) {
  return std::unique_ptr<StagingTables, StagingTablesDeleter>(new StagingTables(cipher));
}
void StagingTablesDeleter::operator()(StagingTables* t) const { delete t; }

WriteResult SqliteStore::createPackage(const Package& p) {
  return inTransaction(db_, [&] { return staging_->packages.insert(db_, p); });
}
std::optional<Package> SqliteStore::getPackage(const std::string& guid) {
  return staging_->packages.get(db_, guid);
}
std::vector<Package> SqliteStore::listPackages(const PackageFilter& f) {
  Where w;
  w.in("guid", f.guids).in("app_guid", f.app_guids).in("state", f.states);
  w.inParent("app_guid", "apps", "space_guid", f.space_guids);
  return staging_->packages.list(db_, w);
}
WriteResult SqliteStore::updatePackage(const Package& p) {
  return inTransaction(db_, [&] { return staging_->packages.update(db_, p); });
}

WriteResult SqliteStore::finishBuild(const Build& b, const std::optional<Droplet>& droplet) {
  Transaction tx(db_);
  Stmt s(db_,
         "UPDATE builds SET state=?, error=?, droplet_guid=?, updated_at=? "
         "WHERE guid=? AND state='STAGING'");
  s.bind(b.state).bind(b.error).bind(b.droplet_guid).bind(b.updated_at).bind(b.guid);
  WriteResult r = s.exec();
  if (r == WriteResult::Ok && droplet) {
    r = staging_->droplets.insert(db_, *droplet);
  }
  return tx.finish(r);
}

WriteResult SqliteStore::createDroplet(const Droplet& d) {
  return inTransaction(db_, [&] { return staging_->droplets.insert(db_, d); });
}
std::optional<Droplet> SqliteStore::getDroplet(const std::string& guid) {
  return staging_->droplets.get(db_, guid);
}
std::vector<Droplet> SqliteStore::listDroplets(const DropletFilter& f) {
  Where w;
  w.in("guid", f.guids).in("app_guid", f.app_guids).in("state", f.states);
  w.inParent("app_guid", "apps", "space_guid", f.space_guids);
  return staging_->droplets.list(db_, w);
}
std::optional<Droplet> SqliteStore::getCurrentDroplet(const std::string& app_guid) {
  auto app = getApp(app_guid);
  if (!app || !app->droplet_guid) return std::nullopt;
  return getDroplet(*app->droplet_guid);
}

int SqliteStore::resealStagingSecrets() {
  return sqlite::resealColumn(db_, *cipher_, staging_->packages, "docker_password") +
         sqlite::resealColumn(db_, *cipher_, staging_->droplets, "docker_password");
}

}  // namespace foundry::control
