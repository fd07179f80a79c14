#pragma once
// The statements that create and remove what the broker hands out, run as the admin user on
// the PostgreSQL server. Every call is idempotent (safe to repeat after a crash half-way) and
// opens its own connections; failures throw PgError.

#include <string>

#include "brokers/postgres/pg.h"
#include "common/auth/secret.h"

namespace foundry::pgbroker {

class Provisioner {
 public:
  explicit Provisioner(PgTarget admin) : admin_(std::move(admin)) {}

  // CREATE DATABASE with the limit, and CONNECT/TEMP revoked from PUBLIC so that only the
  // instance's binding roles (and the admin) get in.
  void createDatabase(const std::string& db, int connection_limit);
  void setConnectionLimit(const std::string& db, int connection_limit);
  // Drops the database, first ending every session on it.
  void dropDatabase(const std::string& db);

  // A LOGIN role with `password`, all privileges on `db` and CREATE/USAGE on its schema public
  // (PostgreSQL 15 no longer lets every role create there).
  void createRole(const std::string& role, const auth::Secret& password, const std::string& db);
  // NOLOGIN, ends its sessions, hands what it created in `db` to the admin (the data belongs to
  // the instance, not the binding), then drops it. `db` may already be gone.
  void dropRole(const std::string& role, const std::string& db);

 private:
  bool databaseExists(PgConn& admin, const std::string& db);
  bool roleExists(PgConn& admin, const std::string& role);

  PgTarget admin_;
};

}  // namespace foundry::pgbroker
