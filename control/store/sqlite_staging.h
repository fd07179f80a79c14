#pragma once
// The package and droplet tables of SqliteStore (sqlite_staging.cc). Like the service tables
// they are built per store: their Docker registry passwords seal with the store's cipher.
#include <memory>

namespace foundry::crypto {
class FieldCipher;
}

namespace foundry::control {

struct StagingTables;
struct StagingTablesDeleter {
  void operator()(StagingTables* t) const;
};
std::unique_ptr<StagingTables, StagingTablesDeleter> makeStagingTablesOwned(
    const crypto::FieldCipher* cipher);

}  // namespace foundry::control
