// SqliteStore's routing tables — routes and their destinations — each declared once
// (sqlite_table.h); the CRUD is derived from the declaration.
#include "control/store/sqlite_store.h"
#include "control/store/sqlite_table.h"

namespace foundry::control {
namespace {

using sqlite::field;
using sqlite::inTransaction;
using sqlite::Stmt;
using sqlite::Table;
using sqlite::Where;

const Table<Route> kRoutes{
    "routes",
    {field("guid", &Route::guid), field("host", &Route::host), field("path", &Route::path),
     field("domain_guid", &Route::domain_guid), field("space_guid", &Route::space_guid),
     field("options", &Route::options), field("created_at", &Route::created_at),
     field("updated_at", &Route::updated_at)}};

const Table<Destination> kDestinations{
    "route_destinations",
    {field("guid", &Destination::guid), field("route_guid", &Destination::route_guid),
     field("app_guid", &Destination::app_guid), field("process_type", &Destination::process_type),
     field("port", &Destination::port), field("protocol", &Destination::protocol),
     field("weight", &Destination::weight), field("created_at", &Destination::created_at),
     field("updated_at", &Destination::updated_at)}};

WriteResult insertAll(sqlite3* db, const std::vector<Destination>& destinations) {
  WriteResult r = WriteResult::Ok;
  for (const auto& d : destinations) {
    if (r != WriteResult::Ok) {
      break;
    }
    r = kDestinations.insert(db, d);
  }
  return r;
}

}  // namespace

WriteResult SqliteStore::createRoute(const Route& r) { return kRoutes.insert(db_, r); }
std::optional<Route> SqliteStore::getRoute(const std::string& guid) {
  return kRoutes.get(db_, guid);
}
std::vector<Route> SqliteStore::listRoutes(const RouteFilter& f) {
  Where w;
  w.in("guid", f.guids).in("host", f.hosts).in("path", f.paths);
  w.in("domain_guid", f.domain_guids).in("space_guid", f.space_guids);
  if (!f.app_guids.empty()) {
    // A route matches when one of its destinations points at one of the apps.
    std::string marks;
    for (size_t i = 0; i < f.app_guids.size(); ++i) marks += i ? ",?" : "?";
    w.raw("guid IN (SELECT route_guid FROM route_destinations WHERE app_guid IN (" + marks + "))",
          f.app_guids);
  }
  return kRoutes.list(db_, w);
}
WriteResult SqliteStore::updateRoute(const Route& r) { return kRoutes.update(db_, r); }
WriteResult SqliteStore::deleteRoute(const std::string& guid) {
  // Its destinations go with it (ON DELETE CASCADE), in this transaction.
  return inTransaction(db_, [&] { return kRoutes.remove(db_, guid); });
}
std::vector<Destination> SqliteStore::listDestinations(const std::string& route_guid) {
  return kDestinations.list(db_, Where().in("route_guid", {route_guid}));
}
WriteResult SqliteStore::addDestinations(const std::vector<Destination>& ds) {
  return inTransaction(db_, [&] { return insertAll(db_, ds); });
}
WriteResult SqliteStore::replaceDestinations(const std::string& route_guid,
                                             const std::vector<Destination>& ds) {
  return inTransaction(db_, [&] {
    if (!kRoutes.get(db_, route_guid)) {
      return WriteResult::NotFound;
    }
    Stmt del(db_, "DELETE FROM route_destinations WHERE route_guid=?");
    del.bind(route_guid);
    del.exec();
    return insertAll(db_, ds);
  });
}
WriteResult SqliteStore::deleteDestination(const std::string& route_guid,
                                           const std::string& destination_guid) {
  Stmt s(db_, "DELETE FROM route_destinations WHERE route_guid=? AND guid=?");
  s.bind(route_guid).bind(destination_guid);
  return s.exec();
}

}  // namespace foundry::control
