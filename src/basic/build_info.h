/* Version facts compiled in; the Makefile passes the git commit and date. */
#pragma once

#define BERTH_VERSION "0.1.0"
#ifndef BERTH_GIT_COMMIT
#define BERTH_GIT_COMMIT "unknown"
#endif
#ifndef BERTH_BUILD_TIME
#define BERTH_BUILD_TIME "unknown"
#endif
#define BERTH_COMPILER "gcc " __VERSION__
