#pragma once
// The ActualLRP state machine of Diego (models/actual_lrp.go AllowsTransitionTo; B1): which
// state changes a report may cause, given whether it comes from the instance that holds the
// record (same instance_guid and cell) or from an empty key (the scheduler unclaiming).
#include "scheduler/model/lrp.h"

namespace foundry::sched {

// `same_key`: the transition is asked by the instance the record holds (the record's
// instance_guid and cell, or the record has no cell yet). UNCLAIMED targets need no key.
bool allowsTransition(LrpState from, LrpState to, bool same_key);

}  // namespace foundry::sched
