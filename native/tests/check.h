// The standalone tests' check (test_main.cc, train_test.cc): CHECK(cond,
// printf-style message) counts every check, prints FILE:LINE and the message
// for each failure, and stops after 30 failures (the first ones say what
// broke; the rest would bury them). main() prints `checks` and `failures`.
#pragma once

#include <cstdio>
#include <cstdlib>

static int failures = 0;
static int checks = 0;

#define CHECK(cond, ...)                                        \
  do {                                                          \
    ++checks;                                                   \
    if (!(cond)) {                                              \
      ++failures;                                               \
      std::fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      std::fprintf(stderr, __VA_ARGS__);                        \
      std::fprintf(stderr, "\n");                               \
      if (failures > 30) std::exit(1);                          \
    }                                                           \
  } while (0)
