// The standalone tests' view of a failure: the nnc::Error code a call throws
// ("ERR_NNC_..."), "OK" when it returns, or what other exception escaped
// (a bug: the core throws only nnc::Error). Shared by test_main.cc and mix_test.cc.
#pragma once

#include <exception>
#include <functional>
#include <string>

#include "../core/errors.h"

namespace nnc_test {

inline std::string codeOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const nnc::Error& e) {
    return nnc::codeString(e.code());
  } catch (const std::exception& e) {
    return std::string("std::exception: ") + e.what();
  }
  return "OK";
}

}  // namespace nnc_test
