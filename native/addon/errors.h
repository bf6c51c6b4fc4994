// The addon's one error layer, shared by addon.cc (the cpu engine) and
// train_binding.cc (the trainer). Rule: no C++ exception may cross into JS
// or abort the process. Every sync entry point runs its body through
// guard(); every async job catches in Execute() (off the main thread) with
// currentFailure() and builds the JS error in Complete() (on it) with
// makeError(). Either way JS gets a plain Error with a stable .code
// (src/errors.ts): nnc::Error keeps its code, std::bad_alloc is
// ERR_NNC_INTERNAL "out of memory", anything else ERR_NNC_INTERNAL.
// (The core's codes and nnc::Error are ../core/errors.h.)
#pragma once

#include <napi.h>

#include <new>
#include <string>

#include "../core/errors.h"

namespace nnc_addon {

// A failure on its way to JS: the stable code and the message.
struct Failure {
  const char* code = "ERR_NNC_INTERNAL";
  std::string message;
};

// Who is failing, for the messages: "out of memory in the <name>; <oomAdvice>",
// "internal error in the <name>: ...". `own`, when set, maps the part's own
// exception types: called inside a catch block, it rethrows (throw;), sets f
// and returns true for a type it knows, false otherwise.
struct Boundary {
  const char* name;
  const char* oomAdvice;
  bool (*own)(Failure& f) = nullptr;
};

// The failure of the exception being handled: call only inside a catch block.
inline Failure currentFailure(const Boundary& b) noexcept {
  Failure f;
  try {
    try {
      throw;
    } catch (const nnc::Error& e) {
      f.code = nnc::codeString(e.code());
      f.message = e.message();
    } catch (const std::bad_alloc&) {
      f.message = std::string("out of memory in the ") + b.name + "; " + b.oomAdvice;
    } catch (...) {
      if (b.own && b.own(f)) return f;
      try {
        throw;
      } catch (const std::exception& e) {
        f.message = std::string("internal error in the ") + b.name + ": " + e.what();
      } catch (...) {
        f.message = std::string("internal error in the ") + b.name + " (unknown exception)";
      }
    }
  } catch (...) {
    // Not even the message could be built.
    f.code = "ERR_NNC_INTERNAL";
    f.message = "out of memory";
  }
  return f;
}

inline Napi::Error makeError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

inline Napi::Error makeError(Napi::Env env, const Failure& f) { return makeError(env, f.code, f.message); }

// Run fn on the JS thread; every C++ exception leaves as a JS exception with
// a stable code. A Napi::Error is already one and passes through.
template <class Fn>
auto guard(Napi::Env env, const Boundary& b, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw makeError(env, currentFailure(b));
  }
}

}  // namespace nnc_addon
