#pragma once
// The service tables of SqliteStore (sqlite_services.cc). They are built per store, not as
// globals like the other tables, because their secret columns seal with the store's cipher.
#include <memory>

namespace foundry::crypto {
class FieldCipher;
}

namespace foundry::control {

struct ServiceTables;
struct ServiceTablesDeleter {
  void operator()(ServiceTables* t) const;
};
std::unique_ptr<ServiceTables, ServiceTablesDeleter> makeServiceTablesOwned(
    const crypto::FieldCipher* cipher);

}  // namespace foundry::control
