#include "control/staging/staging_errors.h"

namespace foundry::control {

std::string stagingErrorFor(int exit_code, const std::string& detail) {
  switch (exit_code) {
    case 222:
      return "NoAppDetectedError - An app was not successfully detected by any available "
             "buildpack";
    case 223:
      return "BuildpackCompileFailed - App staging failed in the buildpack compile phase";
    case 224:
      return "BuildpackReleaseFailed - App staging failed in the buildpack release phase";
    case 225:
      return "BuildpackCompileFailed - App staging failed in the buildpack supply phase";
    case 124:
      return "StagingTimeExpired - Staging time expired";
    default:
      break;
  }
  std::string text = "StagingError - Staging error: ";
  text += detail.empty() ? "staging failed (exit status " + std::to_string(exit_code) + ")"
                         : detail;
  return text;
}

}  // namespace foundry::control
