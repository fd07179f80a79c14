#pragma once
// The SQLite plumbing every table of SqliteStore uses: a prepared statement (Stmt), a
// transaction guard, and a WHERE builder for the list filters. Internal to control/store.

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "control/store/store.h"

namespace foundry::control::sqlite {

// A prepared statement; binds are 1-based, columns 0-based. Throws StoreError on failure.
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
      throw StoreError(std::string("prepare: ") + sqlite3_errmsg(db) + ": " + sql);
    }
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(const std::string& v) {
    sqlite3_bind_text(stmt_, ++n_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(const char* v) { return bind(std::string(v)); }
  Stmt& bind(int64_t v) {
    sqlite3_bind_int64(stmt_, ++n_, v);
    return *this;
  }
  Stmt& bind(bool v) { return bind(static_cast<int64_t>(v ? 1 : 0)); }
  template <typename T>
  Stmt& bind(const std::optional<T>& v) {
    if (v) {
      return bind(*v);
    }
    sqlite3_bind_null(stmt_, ++n_);
    return *this;
  }
  Stmt& bindAll(const std::vector<std::string>& vs) {
    for (const auto& v : vs) {
      bind(v);
    }
    return *this;
  }

  // True if a row is available; false when done. Constraint failures return the code via rc.
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
      return true;
    }
    if (rc == SQLITE_DONE) {
      return false;
    }
    last_rc_ = rc;
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
      return false;
    }
    throw StoreError(std::string("step: ") + sqlite3_errmsg(db_));
  }
  // Runs a write; maps constraint failures.
  WriteResult exec() {
    step();
    if (last_rc_ == SQLITE_CONSTRAINT_FOREIGNKEY || last_rc_ == SQLITE_CONSTRAINT_NOTNULL) {
      return WriteResult::MissingParent;
    }
    if ((last_rc_ & 0xff) == SQLITE_CONSTRAINT) {
      return WriteResult::Duplicate;
    }
    return sqlite3_changes(db_) > 0 ? WriteResult::Ok : WriteResult::NotFound;
  }

  std::string text(int i) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
    return p ? std::string(p, sqlite3_column_bytes(stmt_, i)) : std::string();
  }
  std::optional<std::string> optText(int i) const {
    if (sqlite3_column_type(stmt_, i) == SQLITE_NULL) {
      return std::nullopt;
    }
    return text(i);
  }
  int64_t integer(int i) const { return sqlite3_column_int64(stmt_, i); }
  std::optional<int64_t> optInteger(int i) const {
    if (sqlite3_column_type(stmt_, i) == SQLITE_NULL) {
      return std::nullopt;
    }
    return integer(i);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int n_ = 0;
  int last_rc_ = SQLITE_OK;
};

inline void execSql(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err ? err : "unknown error";
    sqlite3_free(err);
    throw StoreError("exec: " + message);
  }
}

// BEGIN IMMEDIATE on construction; rolls back in the destructor unless commit() ran.
// Inside a transaction already open (Store::atomically), it does nothing: the outer one
// commits or rolls back everything.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db), nested_(sqlite3_get_autocommit(db) == 0) {
    if (!nested_) execSql(db_, "BEGIN IMMEDIATE");
  }
  ~Transaction() {
    if (!done_ && !nested_) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }
  // Commits when result is Ok, otherwise rolls back; returns result.
  WriteResult finish(WriteResult result) {
    if (nested_) {
      done_ = true;
      return result;
    }
    if (result == WriteResult::Ok) {
      execSql(db_, "COMMIT");
    } else {
      execSql(db_, "ROLLBACK");
    }
    done_ = true;
    return result;
  }

 private:
  sqlite3* db_;
  bool nested_;
  bool done_ = false;
};

// One write in its own transaction (BEGIN IMMEDIATE .. COMMIT), as every Store call.
template <typename F>
WriteResult inTransaction(sqlite3* db, F write) {
  Transaction tx(db);
  return tx.finish(write());
}

// Builds "WHERE a IN (?,?) AND b IN (?)" from the non-empty filters.
class Where {
 public:
  Where& in(const std::string& column, const std::vector<std::string>& values) {
    if (values.empty()) {
      return *this;
    }
    sql_ += sql_.empty() ? " WHERE " : " AND ";
    sql_ += column + " IN (";
    for (size_t i = 0; i < values.size(); ++i) {
      sql_ += i ? ",?" : "?";
      args_.push_back(values[i]);
    }
    sql_ += ")";
    return *this;
  }
  // A raw condition with its arguments ("app_guid IN (SELECT guid FROM apps WHERE ...)").
  Where& raw(const std::string& condition, const std::vector<std::string>& args = {}) {
    sql_ += sql_.empty() ? " WHERE " : " AND ";
    sql_ += condition;
    args_.insert(args_.end(), args.begin(), args.end());
    return *this;
  }
  // column IN (SELECT guid FROM table WHERE parent_column IN (?,...)): a filter on a parent's
  // column (e.g. packages by their app's space).
  Where& inParent(const std::string& column, const std::string& table,
                  const std::string& parent_column, const std::vector<std::string>& values) {
    if (values.empty()) {
      return *this;
    }
    std::string marks;
    for (size_t i = 0; i < values.size(); ++i) marks += i ? ",?" : "?";
    return raw(column + " IN (SELECT guid FROM " + table + " WHERE " + parent_column + " IN (" +
                   marks + "))",
               values);
  }
  const std::string& sql() const { return sql_; }
  const std::vector<std::string>& args() const { return args_; }

 private:
  std::string sql_;
  std::vector<std::string> args_;
};


}  // namespace foundry::control::sqlite
