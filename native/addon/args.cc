#include "args.h"

#include <cmath>
#include <cstdio>

#include "../core/errors.h"

namespace nnc_addon {

void badArg(const std::string& name, const std::string& expected, const std::string& actual) {
  throw nnc::Error(nnc::Code::InvalidArg, "Expected " + expected + " for " + name + " but received " + actual);
}

std::string describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsNumber()) {
    char b[32];
    std::snprintf(b, sizeof b, "%.17g", v.As<Napi::Number>().DoubleValue());
    return b;
  }
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? "true" : "false";
  if (v.IsString()) return "\"" + v.As<Napi::String>().Utf8Value().substr(0, 40) + "\"";
  if (v.IsTypedArray()) return "a typed array";
  if (v.IsArray()) return "an array";
  if (v.IsFunction()) return "a function";
  return "an object";
}

Bytes bytesArg(const Napi::Value& v, const std::string& name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    badArg(name, "a Uint8Array or Buffer", describe(v));
  Napi::Uint8Array a = v.As<Napi::Uint8Array>();
  return {a.ByteLength() ? a.Data() : nullptr, a.ByteLength()};
}

double numberArg(const Napi::Value& v, const std::string& name) {
  if (!v.IsNumber()) badArg(name, "a number", describe(v));
  return v.As<Napi::Number>().DoubleValue();
}

int64_t intArg(const Napi::Value& v, const std::string& name, int64_t lo, int64_t hi) {
  const std::string expected = "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
  if (!v.IsNumber()) badArg(name, expected, describe(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < static_cast<double>(lo) || d > static_cast<double>(hi))
    badArg(name, expected, describe(v));
  return static_cast<int64_t>(d);
}

Napi::Function functionArg(const Napi::Value& v, const std::string& name) {
  if (!v.IsFunction()) badArg(name, "a function", describe(v));
  return v.As<Napi::Function>();
}

Napi::Object optionsArg(const Napi::Value& v, const std::string& name) {
  if (v.IsUndefined() || v.IsNull()) return Napi::Object::New(v.Env());
  if (!v.IsObject() || v.IsArray() || v.IsFunction()) badArg(name, "an options object", describe(v));
  return v.As<Napi::Object>();
}

void onlyKeys(const Napi::Object& o, const std::string& what, std::initializer_list<const char*> keys) {
  Napi::Array names = o.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); ++i) {
    const std::string k = names.Get(i).ToString().Utf8Value();
    bool ok = false;
    for (const char* key : keys) ok |= k == key;
    if (!ok) badArg(what, "only known options", "unknown option \"" + k + "\"");
  }
}

nnc::Simd simdArg(const Napi::Value& v) {
  if (v.IsUndefined() || v.IsNull()) return nnc::Simd::Auto;
  if (!v.IsString()) badArg("simd", "'auto', 'scalar', 'avx2' or 'avx512'", describe(v));
  return nnc::parseSimd(v.As<Napi::String>().Utf8Value());
}

}  // namespace nnc_addon
