// The trainer binding's argument readers (train_args.h).
#include "train_args.h"

namespace nnc_addon {
namespace trainer {

namespace tr = nnc::train;

uint64_t countArg(const Napi::Value& v, const std::string& name) {
  if (v.IsUndefined() || v.IsNull()) return 0;
  return static_cast<uint64_t>(intArg(v, name, 0, 9007199254740991LL));
}

std::vector<Bytes> segmentsArg(const Napi::Value& v, const std::string& name) {
  if (v.IsUndefined() || v.IsNull()) return {};
  if (!v.IsArray()) badArg(name, "an array of Uint8Array", describe(v));
  Napi::Array a = v.As<Napi::Array>();
  std::vector<Bytes> out;
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(bytesArg(a.Get(i), name + "[" + std::to_string(i) + "]"));
  return out;
}

std::vector<float> floatsArg(const Napi::Value& v, const std::string& name) {
  std::vector<float> out;
  if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array) {
    Napi::Float32Array f = v.As<Napi::Float32Array>();
    out.assign(f.Data(), f.Data() + f.ElementLength());
  } else if (v.IsArray()) {
    Napi::Array a = v.As<Napi::Array>();
    if (a.Length() > 65536) badArg(name, "at most 65536 numbers", std::to_string(a.Length()) + " items");
    for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(float(numberArg(a.Get(i), name + "[" + std::to_string(i) + "]")));
  } else {
    badArg(name, "an array of numbers or a Float32Array", describe(v));
  }
  return out;
}

bool whichArg(const Napi::Value& v) {
  if (v.IsUndefined()) return false;
  if (v.IsString()) {
    const std::string s = v.As<Napi::String>().Utf8Value();
    if (s == "train") return false;
    if (s == "valid") return true;
  }
  badArg("which", "'train' or 'valid'", describe(v));
}

tr::TrainConfig configArg(const Napi::Value& v) {
  Napi::Object o = optionsArg(v, "options");
  onlyKeys(o, "options",
           {"k", "E", "hidden", "alphabet", "seed", "threads", "lr", "beta1", "beta2", "eps", "batch", "microBatch",
            "laneSize", "simd"});
  tr::TrainConfig c;
  auto has = [&](const char* k) { return o.Has(k) && !o.Get(k).IsUndefined(); };
  if (has("k")) c.k = int(intArg(o.Get("k"), "k", 1, 64));
  if (has("E")) c.E = int(intArg(o.Get("E"), "E", 1, 64));
  if (has("hidden")) {
    Napi::Value h = o.Get("hidden");
    if (!h.IsArray() || h.As<Napi::Array>().Length() < 1 || h.As<Napi::Array>().Length() > tr::kMaxLayers)
      badArg("hidden", "an array of 1 to 4 layer widths", describe(h));
    c.hidden.clear();
    Napi::Array a = h.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i)
      c.hidden.push_back(int(intArg(a.Get(i), "hidden[" + std::to_string(i) + "]", 1, 4096)));
  }
  if (has("alphabet")) {
    const Bytes b = bytesArg(o.Get("alphabet"), "alphabet");
    c.alphabet.assign(b.data, b.data + b.len);
  } else {
    for (int i = 0; i < 256; ++i) c.alphabet.push_back(uint8_t(i));
  }
  if (has("seed")) {
    Napi::Value s = o.Get("seed");
    if (s.IsBigInt()) {
      bool lossless = false;
      c.seed = s.As<Napi::BigInt>().Uint64Value(&lossless);
      if (!lossless) badArg("seed", "an integer in [0, 2^64)", "a BigInt out of range");
    } else {
      c.seed = uint64_t(intArg(s, "seed", 0, 9007199254740991LL));
    }
  }
  if (has("threads")) c.threads = int(intArg(o.Get("threads"), "threads", 0, 256));
  if (has("lr")) c.lr = numberArg(o.Get("lr"), "lr");
  if (has("beta1")) c.beta1 = numberArg(o.Get("beta1"), "beta1");
  if (has("beta2")) c.beta2 = numberArg(o.Get("beta2"), "beta2");
  if (has("eps")) c.eps = numberArg(o.Get("eps"), "eps");
  if (has("batch")) c.batch = int(intArg(o.Get("batch"), "batch", 1, 1 << 20));
  if (has("microBatch")) c.microBatch = int(intArg(o.Get("microBatch"), "microBatch", 1, 1 << 16));
  if (has("laneSize")) c.laneSize = int(intArg(o.Get("laneSize"), "laneSize", 1, 1 << 24));
  if (has("simd")) c.simd = simdArg(o.Get("simd"));
  tr::validateConfig(c);
  return c;
}

}  // namespace trainer
}  // namespace nnc_addon
