// The trainer's async calls: trainEpoch (EpochJob, with coalesced progress
// callbacks) and evaluate / activationStats (ForwardJob), each on the
// addon's job threads (jobs.h). The job leases the wrapper: busy for the
// job's lifetime (other methods refuse), and the JS object kept alive.
#include <napi.h>

#include <cmath>
#include <memory>
#include <mutex>
#include <string>

#include "args.h"
#include "errors.h"
#include "jobs.h"
#include "train_args.h"
#include "train_wrap.h"

namespace nnc_addon {
namespace trainer {

namespace {

// Maps a C++ exception (inside a catch block) to (code, message).
void classify(const char** code, std::string* msg) {
  Failure f = currentFailure(kTrainer);
  *code = f.code;
  msg->swap(f.message);
}

// Marks the wrapper busy for the job's lifetime and keeps it alive.
class Lease {
 public:
  Lease(TrainerWrap* w, const Napi::Object& self) : w_(w), ref_(Napi::Persistent(self)) {
    w_->busy = true;
    w_->cancel = false;
  }
  ~Lease() { w_->busy = false; }
  TrainerWrap* w() const { return w_; }

 private:
  TrainerWrap* w_;
  Napi::ObjectReference ref_;
};

struct EpochProgress {
  uint64_t done = 0, total = 0;
  double bits = 0;
};

class EpochJob : public nnc_addon::Job {
 public:
  EpochJob(Napi::Env env, TrainerWrap* w, const Napi::Object& self, tr::EpochOptions o, Napi::Value onProgress)
      : nnc_addon::Job(env, "nnc-train-epoch"),
        deferred_(Napi::Promise::Deferred::New(env)),
        lease_(w, self),
        opts_(o) {
    if (onProgress.IsFunction()) progress_ = Napi::Persistent(onProgress.As<Napi::Function>());
    report_ = !progress_.IsEmpty();
  }
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() noexcept override {
    try {
      result_ = lease_.w()->trainer().trainEpoch(
          opts_,
          [&](uint64_t done, uint64_t total, double bits) {
            if (!report_) return;
            {
              std::lock_guard<std::mutex> lk(latestMu_);
              latest_ = {done, total, bits};
            }
            notifyProgress();
          },
          &lease_.w()->cancel);
    } catch (...) {
      failed_ = true;
      classify(&code_, &msg_);
    }
  }

  void Cancel() noexcept override { lease_.w()->cancel = true; }

  // Calls onProgress with the latest report (reports that arrive faster
  // than the JS thread takes them are coalesced).
  void Progress(Napi::Env env) override {
    if (progress_.IsEmpty() || !callbackError_.IsEmpty()) return;
    EpochProgress pr;
    {
      std::lock_guard<std::mutex> lk(latestMu_);
      pr = latest_;
    }
    try {
      progress_.Call({Napi::Number::New(env, double(pr.done)), Napi::Number::New(env, double(pr.total)),
                      Napi::Number::New(env, pr.bits)});
    } catch (const Napi::Error& e) {
      // A throwing callback stops the epoch (at the next batch) and rejects with its error.
      callbackError_ = Napi::Reference<Napi::Value>::New(e.Value(), 1);
      lease_.w()->cancel = true;
    }
  }

  void Complete(Napi::Env env) override {
    if (!callbackError_.IsEmpty()) {
      deferred_.Reject(callbackError_.Value());
      return;
    }
    if (failed_) {
      deferred_.Reject(makeError(env, code_, msg_).Value());
      return;
    }
    const tr::Trainer& t = lease_.w()->trainer();
    Napi::Object o = Napi::Object::New(env);
    o.Set("bits", result_.bits);
    o.Set("samples", double(result_.samples));
    o.Set("seconds", result_.seconds);
    o.Set("cancelled", Napi::Boolean::New(env, result_.cancelled));
    o.Set("epoch", double(t.epoch()));
    o.Set("step", double(t.step()));
    deferred_.Resolve(o);
  }

 private:
  Napi::Promise::Deferred deferred_;
  Lease lease_;
  tr::EpochOptions opts_;
  Napi::FunctionReference progress_;
  bool report_ = false;
  std::mutex latestMu_;
  EpochProgress latest_;
  Napi::Reference<Napi::Value> callbackError_;
  tr::EpochResult result_;
  bool failed_ = false;
  const char* code_ = "ERR_NNC_INTERNAL";
  std::string msg_;
};

// evaluate / activationStats: a forward-only pass on a job thread.
class ForwardJob : public nnc_addon::Job {
 public:
  enum Kind { kEvaluate, kStats };
  ForwardJob(Napi::Env env, TrainerWrap* w, const Napi::Object& self, Kind kind, bool valid, uint64_t maxSamples)
      : nnc_addon::Job(env, "nnc-train-forward"),
        deferred_(Napi::Promise::Deferred::New(env)),
        lease_(w, self),
        kind_(kind),
        valid_(valid),
        max_(maxSamples) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() noexcept override {
    try {
      tr::Trainer& t = lease_.w()->trainer();
      if (kind_ == kEvaluate) bits_ = t.evaluate(valid_, max_, &lease_.w()->cancel);
      else stats_ = t.activationStats(valid_, max_, &lease_.w()->cancel);
    } catch (...) {
      failed_ = true;
      classify(&code_, &msg_);
    }
  }

  void Cancel() noexcept override { lease_.w()->cancel = true; }

  void Complete(Napi::Env env) override {
    if (failed_) {
      deferred_.Reject(makeError(env, code_, msg_).Value());
      return;
    }
    if (kind_ == kEvaluate) {
      deferred_.Resolve(Napi::Number::New(env, bits_));
      return;
    }
    Napi::Object o = Napi::Object::New(env);
    Napi::Array layers = Napi::Array::New(env, stats_.layers.size());
    for (size_t l = 0; l < stats_.layers.size(); ++l) {
      const auto& s = stats_.layers[l];
      Napi::Object ly = Napi::Object::New(env);
      ly.Set("max", s.max);
      ly.Set("p99", s.p99);
      ly.Set("p999", s.p999);
      ly.Set("p9999", s.p9999);
      ly.Set("p99999", s.p99999);
      ly.Set("mean", s.mean);
      ly.Set("zeroFraction", s.zeroFraction);
      layers.Set(uint32_t(l), ly);
    }
    o.Set("layers", layers);
    o.Set("samples", double(stats_.samples));
    o.Set("embedMaxAbs", stats_.embedMaxAbs);
    deferred_.Resolve(o);
  }

 private:
  Napi::Promise::Deferred deferred_;
  Lease lease_;
  Kind kind_;
  bool valid_;
  uint64_t max_;
  double bits_ = 0;
  tr::ActivationStats stats_;
  bool failed_ = false;
  const char* code_ = "ERR_NNC_INTERNAL";
  std::string msg_;
};

// Queues the job; returns its promise.
template <class J>
Napi::Value queued(Napi::Env env, std::unique_ptr<J> job) {
  Napi::Promise p = job->promise();
  nnc_addon::queueJob(env, std::move(job));
  return p;
}

}  // namespace

Napi::Value TrainerWrap::TrainEpoch(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    checkIdle(env);
    Napi::Object o = optionsArg(info[0], "options");
    onlyKeys(o, "options", {"lasso", "lassoEmbed", "maxSamples"});
    tr::EpochOptions eo;
    if (o.Has("lasso") && !o.Get("lasso").IsUndefined()) eo.lasso = numberArg(o.Get("lasso"), "lasso");
    if (o.Has("lassoEmbed") && !o.Get("lassoEmbed").IsUndefined()) eo.lassoEmbed = numberArg(o.Get("lassoEmbed"), "lassoEmbed");
    eo.maxSamples = countArg(o.Get("maxSamples"), "maxSamples");
    if (!std::isfinite(eo.lasso) || eo.lasso < 0) badArg("lasso", "a finite number >= 0", describe(o.Get("lasso")));
    if (o.Has("lassoEmbed") && !o.Get("lassoEmbed").IsUndefined() && (!std::isfinite(eo.lassoEmbed) || eo.lassoEmbed < 0))
      badArg("lassoEmbed", "a finite number >= 0", describe(o.Get("lassoEmbed")));
    if (!info[1].IsUndefined() && !info[1].IsFunction()) badArg("onProgress", "a function", describe(info[1]));
    if (trainer_->trainSize() == 0)
      badArg("training data", "a non-empty training set (call setData first)", "an empty set");
    return queued(env, std::make_unique<EpochJob>(env, this, Value(), eo, info[1]));
  });
}

Napi::Value TrainerWrap::Evaluate(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    checkIdle(env);
    const bool valid = whichArg(info[0]);
    const uint64_t n = countArg(info[1], "maxSamples");
    if ((valid ? trainer_->validSize() : trainer_->trainSize()) == 0)
      badArg("which", "a non-empty data set", valid ? "'valid' (empty)" : "'train' (empty)");
    return queued(env, std::make_unique<ForwardJob>(env, this, Value(), ForwardJob::kEvaluate, valid, n));
  });
}

Napi::Value TrainerWrap::ActivationStats(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    checkIdle(env);
    const uint64_t n = countArg(info[0], "maxSamples");
    const bool valid = whichArg(info[1]);
    if ((valid ? trainer_->validSize() : trainer_->trainSize()) == 0)
      badArg("which", "a non-empty data set", valid ? "'valid' (empty)" : "'train' (empty)");
    return queued(env, std::make_unique<ForwardJob>(env, this, Value(), ForwardJob::kStats, valid, n));
  });
}

}  // namespace trainer
}  // namespace nnc_addon
