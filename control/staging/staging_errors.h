#pragma once
// The build error text Cloud Controller shows for a failed staging, from the stager's exit
// code (staging/README.md "Exit codes"): "<Name> - <description>", as CC's staging
// completion handler words them, so clients that match on the name keep working.

#include <string>

namespace foundry::control {

// `detail` (the stager's own message, may be "") is appended for the generic StagingError.
std::string stagingErrorFor(int exit_code, const std::string& detail);

}  // namespace foundry::control
