#pragma once
// Column helpers shared by the tables that the store builds per instance because they hold
// secrets (sqlite_services.cc, sqlite_staging.cc): a Secret member sealed with the store's
// FieldCipher on the way in and opened on the way out, and the two timestamp columns.
#include <string>
#include <utility>
#include <vector>

#include "common/auth/secret.h"
#include "common/crypto/field_cipher.h"
#include "control/store/sqlite_table.h"

namespace foundry::control::sqlite {

// A column over a Secret member, sealed in the file.
template <typename T>
Column<T> sealed(std::string name, auth::Secret T::*member, const crypto::FieldCipher* cipher) {
  return {std::move(name),
          [member, cipher](Stmt& s, const T& t) { s.bind(cipher->seal((t.*member).reveal())); },
          [member, cipher](const Stmt& s, int i, T& t) { t.*member = cipher->open(s.text(i)); }};
}

// The same for an optional secret: no secret is stored as "" (what a column added by a
// migration holds for older rows), anything else sealed.
template <typename T>
Column<T> sealedOrEmpty(std::string name, auth::Secret T::*member,
                        const crypto::FieldCipher* cipher) {
  return {std::move(name),
          [member, cipher](Stmt& s, const T& t) {
            const auth::Secret& secret = t.*member;
            s.bind(secret.empty() ? std::string() : cipher->seal(secret.reveal()));
          },
          [member, cipher](const Stmt& s, int i, T& t) {
            std::string text = s.text(i);
            t.*member = text.empty() ? auth::Secret() : cipher->open(text);
          }};
}

// `columns` followed by created_at and updated_at.
template <typename T>
std::vector<Column<T>> withTimes(std::vector<Column<T>> columns) {
  columns.push_back(field("created_at", &T::created_at));
  columns.push_back(field("updated_at", &T::updated_at));
  return columns;
}

// Re-seals with the current key every value of `table.column` an older key sealed (key
// rotation); the number of records rewritten. Call inside a transaction.
template <typename T>
int resealColumn(sqlite3* db, const crypto::FieldCipher& cipher, const Table<T>& table,
                 const std::string& column) {
  Stmt s(db, "SELECT guid, " + column + " FROM " + table.name());
  std::vector<std::string> stale;
  while (s.step()) {
    if (cipher.needsRotation(s.text(1))) stale.push_back(s.text(0));
  }
  int resealed = 0;
  for (const auto& guid : stale) {
    if (auto record = table.get(db, guid)) {
      table.update(db, *record);  // reading opened it with the old key; writing seals anew
      ++resealed;
    }
  }
  return resealed;
}

}  // namespace foundry::control::sqlite
