#pragma once
// A thin RAII layer over libpq: one connection, statements that throw PgError on failure.
// Used from one thread at a time (a connection per request or job: see broker.h).

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/auth/secret.h"

namespace foundry::pgbroker {

class PgError : public std::runtime_error {
 public:
  PgError(const std::string& what, std::string sqlstate)
      : std::runtime_error(what), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

// Where the PostgreSQL server is and who we are on it.
struct PgTarget {
  std::string host;
  int port = 5432;
  std::string user;
  auth::Secret password;
};

class PgResult {
 public:
  explicit PgResult(PGresult* r) : r_(r, &PQclear) {}
  int rows() const { return PQntuples(r_.get()); }
  bool isNull(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string get(int row, int col) const { return PQgetvalue(r_.get(), row, col); }

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> r_;
};

class PgConn {
 public:
  // Connects to `dbname` on `target`; throws PgError when it cannot.
  PgConn(const PgTarget& target, const std::string& dbname);
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // One statement, no parameters (DDL). Throws PgError.
  PgResult exec(const std::string& sql);
  // One statement with $1.. text parameters (nullopt = NULL). Throws PgError.
  PgResult exec(const std::string& sql, const std::vector<std::optional<std::string>>& params);

  // "ident" quoted for SQL (PQescapeIdentifier); throws PgError on an encoding error.
  std::string ident(const std::string& name);
  // 'literal' quoted for SQL (PQescapeLiteral).
  std::string literal(const std::string& text);
  // The SCRAM verifier of `password` for `role`, computed here so that the password itself
  // never travels to the server or lands in its statement log.
  std::string encryptPassword(const auth::Secret& password, const std::string& role);

  PGconn* raw() { return conn_.get(); }

 private:
  PgResult check(PGresult* r, const std::string& what);
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
};

}  // namespace foundry::pgbroker
