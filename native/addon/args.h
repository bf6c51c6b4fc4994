// Argument readers shared by both addon files. The TypeScript layer checks
// every argument first (src/engine/cpu.ts, src/train/…); these are the last
// line of defence, with the project's one message format:
//   Expected ${expected} for ${name} but received ${actual}
// and ERR_NNC_INVALID_ARG (thrown as nnc::Error, so guard() maps it).
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "../core/cpu_features.h"

namespace nnc_addon {

// Throws ERR_NNC_INVALID_ARG in the one format.
[[noreturn]] void badArg(const std::string& name, const std::string& expected, const std::string& actual);

// A short description of a JS value for `actual`: 3, "abc", null, an array, ...
std::string describe(const Napi::Value& v);

// A Uint8Array (a Buffer is one) read in place; data is null when empty.
struct Bytes {
  const uint8_t* data;
  size_t len;
};
Bytes bytesArg(const Napi::Value& v, const std::string& name);

double numberArg(const Napi::Value& v, const std::string& name);
// An integer in [lo, hi] (a number with no fraction).
int64_t intArg(const Napi::Value& v, const std::string& name, int64_t lo, int64_t hi);
Napi::Function functionArg(const Napi::Value& v, const std::string& name);

// An options object; undefined or null is an empty one.
Napi::Object optionsArg(const Napi::Value& v, const std::string& name);
// Rejects keys a caller misspelled: a silently ignored option is a bug.
void onlyKeys(const Napi::Object& o, const std::string& what, std::initializer_list<const char*> keys);

// 'auto', 'scalar', 'avx2' or 'avx512'; undefined or null is 'auto'. An
// unknown name is ERR_NNC_INVALID_ARG (parseSimd).
nnc::Simd simdArg(const Napi::Value& v);

}  // namespace nnc_addon
