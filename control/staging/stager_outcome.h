#pragma once
// What the stager writes to its --result file (staging/README.md: CC's staging result plus
// start_command, exit_code and error), read into a StagingResult. Both staging backends use it:
// the local runner reads the file, the task backend gets it as the staging task's result.

#include <string>

#include "control/staging/staging_backend.h"

namespace foundry::control {

// Fills r->process_types, start_command and buildpacks from the result's text; false (r
// untouched) when the text is not a JSON object.
bool readStagerOutcome(const std::string& text, StagingResult* r);
// The stager's own error message in the result's text, "" when there is none.
std::string stagerError(const std::string& text);

}  // namespace foundry::control
