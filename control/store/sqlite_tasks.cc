// SqliteStore's tasks table (migration 9), declared once (sqlite_table.h).
#include "control/store/sqlite_store.h"
#include "control/store/sqlite_table.h"

namespace foundry::control {
namespace {

using sqlite::field;
using sqlite::Stmt;
using sqlite::Table;
using sqlite::Transaction;
using sqlite::Where;

const Table<AppTask> kTasks{
    "tasks",
    {field("guid", &AppTask::guid), field("app_guid", &AppTask::app_guid),
     field("sequence_id", &AppTask::sequence_id), field("name", &AppTask::name),
     field("command", &AppTask::command), field("state", &AppTask::state),
     field("memory_in_mb", &AppTask::memory_in_mb), field("disk_in_mb", &AppTask::disk_in_mb),
     field("droplet_guid", &AppTask::droplet_guid),
     field("failure_reason", &AppTask::failure_reason), field("result", &AppTask::result),
     field("created_at", &AppTask::created_at), field("updated_at", &AppTask::updated_at)}};

}  // namespace

WriteResult SqliteStore::createTask(AppTask* task) {
  Transaction tx(db_);
  Stmt next(db_, "SELECT COALESCE(MAX(sequence_id), 0) + 1 FROM tasks WHERE app_guid = ?");
  next.bind(task->app_guid);
  next.step();
  task->sequence_id = next.integer(0);
  return tx.finish(kTasks.insert(db_, *task));
}
std::optional<AppTask> SqliteStore::getTask(const std::string& guid) {
  return kTasks.get(db_, guid);
}
std::vector<AppTask> SqliteStore::listTasks(const TaskFilter& f) {
  return kTasks.list(db_, Where()
                              .in("guid", f.guids)
                              .in("app_guid", f.app_guids)
                              .in("name", f.names)
                              .in("state", f.states)
                              .in("sequence_id", f.sequence_ids)
                              .inParent("app_guid", "apps", "space_guid", f.space_guids));
}
WriteResult SqliteStore::updateTask(const AppTask& task) { return kTasks.update(db_, task); }

}  // namespace foundry::control
