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

  // CREATE DATABASE with the limit, CONNECT/TEMP revoked from PUBLIC so that only the
  // instance's binding roles (and the admin) get in, owned by the instance's NOLOGIN owner
  // role (ownerRole(db)).
  void createDatabase(const std::string& db, int connection_limit);
  void setConnectionLimit(const std::string& db, int connection_limit);
  // Drops the database, first ending every session on it, and its owner role.
  void dropDatabase(const std::string& db);

  // A LOGIN role with `password`, CONNECT on `db`, a member of the instance's owner role, and
  // set to act as it in `db` (ALTER ROLE ... IN DATABASE ... SET role): every binding of an
  // instance creates and reads the same tables, owned by the instance.
  void createRole(const std::string& role, const auth::Secret& password, const std::string& db);
  // NOLOGIN, ends its sessions, hands whatever it still owns in `db` to the owner role (the
  // data belongs to the instance, not the binding), then drops it. `db` may already be gone.
  void dropRole(const std::string& role, const std::string& db);

  // "<db>_owner": the NOLOGIN role that owns an instance's database and everything in it.
  static std::string ownerRole(const std::string& db);

 private:
  void ensureOwner(PgConn& admin, const std::string& db);
  bool databaseExists(PgConn& admin, const std::string& db);
  bool roleExists(PgConn& admin, const std::string& role);

  PgTarget admin_;
};

}  // namespace foundry::pgbroker
