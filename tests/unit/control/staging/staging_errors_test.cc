// Stager exit codes -> the build error text Cloud Controller shows.
#include "control/staging/staging_errors.h"

#include <gtest/gtest.h>

namespace foundry::control {
namespace {

TEST(StagingErrors, ExitCodesMapToCcErrors) {
  EXPECT_EQ(stagingErrorFor(222, ""),
            "NoAppDetectedError - An app was not successfully detected by any available "
            "buildpack");
  EXPECT_EQ(stagingErrorFor(223, "x"),
            "BuildpackCompileFailed - App staging failed in the buildpack compile phase");
  EXPECT_EQ(stagingErrorFor(224, ""),
            "BuildpackReleaseFailed - App staging failed in the buildpack release phase");
  EXPECT_EQ(stagingErrorFor(225, ""),
            "BuildpackCompileFailed - App staging failed in the buildpack supply phase");
  EXPECT_EQ(stagingErrorFor(124, ""), "StagingTimeExpired - Staging time expired");
  EXPECT_EQ(stagingErrorFor(1, "malformed buildpack"),
            "StagingError - Staging error: malformed buildpack");
  EXPECT_EQ(stagingErrorFor(137, ""),
            "StagingError - Staging error: staging failed (exit status 137)");
}

}  // namespace
}  // namespace foundry::control
