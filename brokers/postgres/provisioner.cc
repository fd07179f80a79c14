#include "brokers/postgres/provisioner.h"

namespace foundry::pgbroker {

bool Provisioner::databaseExists(PgConn& admin, const std::string& db) {
  return admin.exec("SELECT 1 FROM pg_database WHERE datname = $1", {db}).rows() > 0;
}

bool Provisioner::roleExists(PgConn& admin, const std::string& role) {
  return admin.exec("SELECT 1 FROM pg_roles WHERE rolname = $1", {role}).rows() > 0;
}

std::string Provisioner::ownerRole(const std::string& db) { return db + "_owner"; }

void Provisioner::ensureOwner(PgConn& admin, const std::string& db) {
  // The instance's data belongs to one NOLOGIN role that every binding's role acts as, so two
  // apps bound to one instance share its tables, and unbinding one leaves them to the other.
  const std::string owner = ownerRole(db);
  if (!roleExists(admin, owner)) admin.exec("CREATE ROLE " + admin.ident(owner) + " NOLOGIN");
  // As the database's owner it owns schema public (pg_database_owner, PostgreSQL 15).
  admin.exec("ALTER DATABASE " + admin.ident(db) + " OWNER TO " + admin.ident(owner));
}

void Provisioner::createDatabase(const std::string& db, int connection_limit) {
  PgConn admin(admin_, "postgres");
  std::string name = admin.ident(db);
  std::string limit = std::to_string(connection_limit);
  if (databaseExists(admin, db)) {
    admin.exec("ALTER DATABASE " + name + " CONNECTION LIMIT " + limit);
  } else {
    admin.exec("CREATE DATABASE " + name + " CONNECTION LIMIT " + limit);
  }
  admin.exec("REVOKE ALL ON DATABASE " + name + " FROM PUBLIC");
  ensureOwner(admin, db);
}

void Provisioner::setConnectionLimit(const std::string& db, int connection_limit) {
  PgConn admin(admin_, "postgres");
  admin.exec("ALTER DATABASE " + admin.ident(db) + " CONNECTION LIMIT " +
             std::to_string(connection_limit));
}

void Provisioner::dropDatabase(const std::string& db) {
  PgConn admin(admin_, "postgres");
  // WITH (FORCE) (PostgreSQL 13+) ends the sessions still connected to it.
  admin.exec("DROP DATABASE IF EXISTS " + admin.ident(db) + " WITH (FORCE)");
  admin.exec("DROP ROLE IF EXISTS " + admin.ident(ownerRole(db)));
}

void Provisioner::createRole(const std::string& role, const auth::Secret& password,
                             const std::string& db) {
  PgConn admin(admin_, "postgres");
  ensureOwner(admin, db);  // instances provisioned before owner roles existed get one now
  std::string name = admin.ident(role);
  std::string owner = admin.ident(ownerRole(db));
  std::string verifier = admin.literal(admin.encryptPassword(password, role));
  if (roleExists(admin, role)) {
    admin.exec("ALTER ROLE " + name + " LOGIN PASSWORD " + verifier);
  } else {
    admin.exec("CREATE ROLE " + name + " LOGIN PASSWORD " + verifier);
  }
  admin.exec("GRANT " + owner + " TO " + name);
  admin.exec("GRANT CONNECT ON DATABASE " + admin.ident(db) + " TO " + name);
  // Every session of the binding in its database runs as the owner: what it creates is the
  // instance's, not the binding's.
  admin.exec("ALTER ROLE " + name + " IN DATABASE " + admin.ident(db) + " SET role = " +
             admin.literal(ownerRole(db)));
}

void Provisioner::dropRole(const std::string& role, const std::string& db) {
  PgConn admin(admin_, "postgres");
  if (!roleExists(admin, role)) return;
  std::string name = admin.ident(role);
  // No new sessions first, then end the open ones: the app must lose access at unbind.
  admin.exec("ALTER ROLE " + name + " NOLOGIN");
  admin.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", {role});
  if (databaseExists(admin, db)) {
    PgConn in_db(admin_, db);
    // Anything it made as itself (after RESET ROLE) goes to the instance, not away.
    in_db.exec("REASSIGN OWNED BY " + name + " TO " +
               in_db.ident(roleExists(admin, ownerRole(db)) ? ownerRole(db) : "postgres"));
    // Also revokes its privileges on shared objects, the database itself included.
    in_db.exec("DROP OWNED BY " + name);
  }
  admin.exec("DROP OWNED BY " + name);
  admin.exec("DROP ROLE IF EXISTS " + name);
}

}  // namespace foundry::pgbroker
