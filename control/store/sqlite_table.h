#pragma once
// A store table declared once: its name and its columns, each column saying how a record's
// field is bound into a statement and read back. Insert, update, get, list and delete are
// derived from the declaration, so a new record type costs one declaration instead of five
// hand-written statements (STYLE.md section 9). The first column is the primary key (`guid`);
// `created_at` is never updated.
//
//   const Table<Role> kRoles{"roles", {field("guid", &Role::guid), field("type", &Role::type),
//                                      ...}};
//   kRoles.insert(db, role);  kRoles.list(db, Where().in("user_guid", {guid}));

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "control/store/sqlite_stmt.h"

namespace foundry::control::sqlite {

template <typename T>
struct Column {
  std::string name;
  std::function<void(Stmt&, const T&)> bind;
  std::function<void(const Stmt&, int, T&)> read;
};

namespace detail {
inline void bindValue(Stmt& s, const std::string& v) { s.bind(v); }
inline void bindValue(Stmt& s, const std::optional<std::string>& v) { s.bind(v); }
inline void bindValue(Stmt& s, int64_t v) { s.bind(v); }
inline void bindValue(Stmt& s, const std::optional<int64_t>& v) { s.bind(v); }
inline void bindValue(Stmt& s, bool v) { s.bind(v); }
inline void bindValue(Stmt& s, const std::vector<std::string>& v) {
  s.bind(nlohmann::json(v).dump());
}
inline void readValue(const Stmt& s, int i, std::string& v) { v = s.text(i); }
inline void readValue(const Stmt& s, int i, std::optional<std::string>& v) { v = s.optText(i); }
inline void readValue(const Stmt& s, int i, int64_t& v) { v = s.integer(i); }
inline void readValue(const Stmt& s, int i, std::optional<int64_t>& v) { v = s.optInteger(i); }
inline void readValue(const Stmt& s, int i, bool& v) { v = s.integer(i) != 0; }
inline void readValue(const Stmt& s, int i, std::vector<std::string>& v) {
  v.clear();
  auto j = nlohmann::json::parse(s.text(i), nullptr, false);
  if (!j.is_array()) return;
  for (const auto& e : j) {
    if (e.is_string()) v.push_back(e.get<std::string>());
  }
}
}  // namespace detail

// A column over a member: field("name", &User::username).
template <typename T, typename F>
Column<T> field(std::string name, F T::*member) {
  return {std::move(name), [member](Stmt& s, const T& t) { detail::bindValue(s, t.*member); },
          [member](const Stmt& s, int i, T& t) { detail::readValue(s, i, t.*member); }};
}

// A column over a nested member, reached by an accessor that works on const and non-const
// records: nested<Quota>("total_routes", [](auto& q) -> auto& { return q.limits.total_routes; }).
template <typename T, typename Access>
Column<T> nested(std::string name, Access access) {
  return {std::move(name), [access](Stmt& s, const T& t) { detail::bindValue(s, access(t)); },
          [access](const Stmt& s, int i, T& t) { detail::readValue(s, i, access(t)); }};
}

template <typename T>
class Table {
 public:
  Table(std::string name, std::vector<Column<T>> columns)
      : name_(std::move(name)), columns_(std::move(columns)) {
    for (size_t i = 0; i < columns_.size(); ++i) {
      select_ += (i ? ", " : "") + columns_[i].name;
    }
  }

  const std::string& name() const { return name_; }

  WriteResult insert(sqlite3* db, const T& record) const {
    std::string marks;
    for (size_t i = 0; i < columns_.size(); ++i) marks += i ? ",?" : "?";
    Stmt s(db, "INSERT INTO " + name_ + " (" + select_ + ") VALUES (" + marks + ")");
    for (const auto& c : columns_) c.bind(s, record);
    return s.exec();
  }

  // Every column but the key and created_at, by the key.
  WriteResult update(sqlite3* db, const T& record) const {
    std::string sets;
    for (size_t i = 1; i < columns_.size(); ++i) {
      if (columns_[i].name == "created_at") continue;
      sets += (sets.empty() ? "" : ", ") + columns_[i].name + " = ?";
    }
    Stmt s(db, "UPDATE " + name_ + " SET " + sets + " WHERE " + columns_[0].name + " = ?");
    for (size_t i = 1; i < columns_.size(); ++i) {
      if (columns_[i].name != "created_at") columns_[i].bind(s, record);
    }
    columns_[0].bind(s, record);
    return s.exec();
  }

  std::optional<T> get(sqlite3* db, const std::string& key) const {
    auto rows = list(db, Where().in(columns_[0].name, {key}));
    if (rows.empty()) return std::nullopt;
    return std::move(rows[0]);
  }

  // In creation order.
  std::vector<T> list(sqlite3* db, const Where& where) const {
    Stmt s(db, "SELECT " + select_ + " FROM " + name_ + where.sql() +
                   " ORDER BY created_at, rowid");
    s.bindAll(where.args());
    std::vector<T> out;
    while (s.step()) {
      T record{};
      for (size_t i = 0; i < columns_.size(); ++i) {
        columns_[i].read(s, static_cast<int>(i), record);
      }
      out.push_back(std::move(record));
    }
    return out;
  }

  WriteResult remove(sqlite3* db, const std::string& key) const {
    Stmt s(db, "DELETE FROM " + name_ + " WHERE " + columns_[0].name + " = ?");
    s.bind(key);
    return s.exec();
  }

 private:
  std::string name_;
  std::vector<Column<T>> columns_;
  std::string select_;
};

}  // namespace foundry::control::sqlite
