#include "brokers/postgres/pg.h"

namespace foundry::pgbroker {

PgConn::PgConn(const PgTarget& target, const std::string& dbname) : conn_(nullptr, &PQfinish) {
  std::string port = std::to_string(target.port);
  const char* keys[] = {"host",     "port",           "user",
                        "password", "dbname",         "connect_timeout",
                        "application_name", nullptr};
  const char* values[] = {target.host.c_str(),
                          port.c_str(),
                          target.user.c_str(),
                          target.password.reveal().c_str(),
                          dbname.c_str(),
                          "5",
                          "postgres-broker",
                          nullptr};
  conn_.reset(PQconnectdbParams(keys, values, 0));
  if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
    std::string why = conn_ ? PQerrorMessage(conn_.get()) : "out of memory";
    while (!why.empty() && why.back() == '\n') why.pop_back();
    throw PgError("connect to database " + dbname + ": " + why, "");
  }
}

PgResult PgConn::check(PGresult* r, const std::string& what) {
  ExecStatusType status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return PgResult(r);
  std::string why = r ? PQresultErrorMessage(r) : PQerrorMessage(conn_.get());
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state ? state : "";
  if (r) PQclear(r);
  while (!why.empty() && why.back() == '\n') why.pop_back();
  throw PgError(what + ": " + why, sqlstate);
}

PgResult PgConn::exec(const std::string& sql) {
  // The statement's first word is enough context and never carries a password.
  return check(PQexec(conn_.get(), sql.c_str()), sql.substr(0, sql.find(' ')));
}

PgResult PgConn::exec(const std::string& sql,
                      const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return check(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                            values.data(), nullptr, nullptr, 0),
               sql.substr(0, sql.find(' ')));
}

std::string PgConn::ident(const std::string& name) {
  char* quoted = PQescapeIdentifier(conn_.get(), name.c_str(), name.size());
  if (!quoted) throw PgError("escape identifier: " + std::string(PQerrorMessage(conn_.get())), "");
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

std::string PgConn::literal(const std::string& text) {
  char* quoted = PQescapeLiteral(conn_.get(), text.c_str(), text.size());
  if (!quoted) throw PgError("escape literal: " + std::string(PQerrorMessage(conn_.get())), "");
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

std::string PgConn::encryptPassword(const auth::Secret& password, const std::string& role) {
  char* verifier =
      PQencryptPasswordConn(conn_.get(), password.reveal().c_str(), role.c_str(), "scram-sha-256");
  if (!verifier) throw PgError("encrypt password: " + std::string(PQerrorMessage(conn_.get())), "");
  std::string out(verifier);
  PQfreemem(verifier);
  return out;
}

}  // namespace foundry::pgbroker
