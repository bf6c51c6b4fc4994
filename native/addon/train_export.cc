// Trainer methods of the int8 export: exportFloat (the float weights the
// export quantizes, src/train/export.ts), setFakeQuant (train against the
// export's rounding) and Trainer.quantizeRows (the rule itself, quant_rule.h,
// for the test that pins the TS side to it).
#include <napi.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "../train/quant_rule.h"
#include "args.h"
#include "train_args.h"
#include "train_wrap.h"

namespace nnc_addon {
namespace trainer {

// The fake-quant weight rule on rows of n weights: scales given (one, or
// one per row) or each row's own max|w| / 127. For test/quant-rule.test.ts,
// which pins src/train/export.ts to it.
Napi::Value TrainerWrap::QuantizeRows(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      badArg("weights", "a Float32Array", describe(info[0]));
    Napi::Float32Array w = info[0].As<Napi::Float32Array>();
    const size_t total = w.ElementLength();
    const size_t n = size_t(intArg(info[1], "n", 1, 1 << 24));
    if (total % n) badArg("n", "a divisor of the weight count " + std::to_string(total), std::to_string(n));
    const size_t rows = total / n;
    std::vector<float> given;
    if (!info[2].IsUndefined()) {
      given = info[2].IsNumber() ? std::vector<float>{float(numberArg(info[2], "scales"))} : floatsArg(info[2], "scales");
      if (given.size() != 1 && given.size() != rows)
        badArg("scales", "1 or " + std::to_string(rows) + " numbers", std::to_string(given.size()) + " numbers");
      for (float s : given)
        if (!std::isfinite(s) || !(s > 0)) badArg("scales", "finite numbers > 0", std::to_string(s));
    }
    Napi::Int8Array q = Napi::Int8Array::New(env, total);
    Napi::Float32Array sc = Napi::Float32Array::New(env, rows);
    for (size_t r = 0; r < rows; ++r) {
      const float* row = w.Data() + r * n;
      const float s = given.empty() ? tr::quant::rowScale(row, n) : given.size() == 1 ? given[0] : given[r];
      const float inv = 1.f / s;
      for (size_t i = 0; i < n; ++i) q[r * n + i] = int8_t(tr::quant::weightStep(row[i], inv));
      sc[r] = s;
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("q", q);
    o.Set("scales", sc);
    return o;
  });
}

Napi::Value TrainerWrap::SetFakeQuant(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    checkIdle(env);
    if (info[0].IsNull() || info[0].IsUndefined()) {
      trainer_->setFakeQuant(nullptr);
      return env.Undefined();
    }
    Napi::Object o = optionsArg(info[0], "fakeQuant");
    onlyKeys(o, "fakeQuant", {"embedScale", "actScale", "weightScale"});
    tr::FakeQuant fq;
    if (o.Has("embedScale") && !o.Get("embedScale").IsUndefined()) fq.embedScale = float(numberArg(o.Get("embedScale"), "embedScale"));
    fq.actScale = floatsArg(o.Get("actScale"), "actScale");
    if (o.Has("weightScale") && !o.Get("weightScale").IsUndefined()) {
      Napi::Value w = o.Get("weightScale");
      if (!w.IsArray()) badArg("weightScale", "an array (one entry per hidden layer, then the output layer)", describe(w));
      Napi::Array a = w.As<Napi::Array>();
      if (a.Length() > tr::kMaxLayers + 1) badArg("weightScale", "at most 5 entries", std::to_string(a.Length()) + " entries");
      for (uint32_t i = 0; i < a.Length(); ++i) {
        Napi::Value e = a.Get(i);
        const std::string name = "weightScale[" + std::to_string(i) + "]";
        if (e.IsNull() || e.IsUndefined()) fq.weightScale.emplace_back();
        else if (e.IsNumber()) fq.weightScale.push_back({float(numberArg(e, name))});
        else fq.weightScale.push_back(floatsArg(e, name));
      }
    }
    trainer_->setFakeQuant(&fq);
    return env.Undefined();
  });
}

Napi::Value TrainerWrap::ExportFloat(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    checkIdle(env);
    const tr::FloatModel f = trainer_->exportFloat();
    Napi::Object o = Napi::Object::New(env);
    o.Set("k", f.arch.k);
    o.Set("E", f.arch.E);
    o.Set("A", f.arch.A);
    o.Set("hidden", intArray(env, f.arch.H));
    o.Set("alphabet", Napi::Uint8Array::New(env, f.alphabet.size()));
    if (!f.alphabet.empty())
      std::memcpy(o.Get("alphabet").As<Napi::Uint8Array>().Data(), f.alphabet.data(), f.alphabet.size());
    o.Set("emb", toF32(env, f.emb));
    o.Set("layers", layerPairs(env, "W", f.W, "b", f.b));
    Napi::Object out = Napi::Object::New(env);
    out.Set("W", toF32(env, f.Wo));
    out.Set("b", toF32(env, f.bo));
    o.Set("out", out);
    return o;
  });
}

}  // namespace trainer
}  // namespace nnc_addon
