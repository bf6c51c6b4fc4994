// The job runner of jobs.h: a FIFO queue, job threads of our own, and one
// uv_async handle that brings completions back to the environment's thread.
#include "jobs.h"

#include <uv.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "../core/errors.h"

namespace nnc_addon {

class Runner {
 public:
  Runner(napi_env env, uv_loop_t* loop) : env_(env) {
    if (uv_async_init(loop, &async_, &Runner::onAsync) != 0)
      throw nnc::Error(nnc::Code::Internal, "could not create the cpu engine's completion handle");
    async_.data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(&async_));  // referenced only while jobs are pending
  }

  // JS thread.
  void queue(std::unique_ptr<Job> owned) {
    Job* job = owned.get();
    job->runner_ = this;
    {
      std::lock_guard<std::mutex> lk(mu_);
      queue_.push_back(job);
      if (queue_.size() > idle_ && threads_.size() < maxThreads()) {
        try {
          threads_.emplace_back([this] { loop(); });
          ++idle_;
        } catch (...) {
          // Queued work still runs if some thread exists; with none, it never would.
          if (threads_.empty()) {
            queue_.pop_back();
            throw nnc::Error(nnc::Code::Internal, "could not start a thread for the cpu engine; the system is out of threads");
          }
        }
      }
    }
    owned.release();
    if (pending_++ == 0) uv_ref(reinterpret_cast<uv_handle_t*>(&async_));
    cv_.notify_one();
  }

  // Job thread, from Job::notifyProgress.
  void progress(Job* job) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (job->progressQueued_) return;
      job->progressQueued_ = true;
      progress_.push_back(job);
    }
    uv_async_send(&async_);
  }

  // JS thread, from the environment's async cleanup hook. JS cannot run any
  // more: running jobs are cancelled and joined; what they produced is dropped.
  void shutdown(napi_async_cleanup_hook_handle hook) {
    hook_ = hook;
    {
      std::lock_guard<std::mutex> lk(mu_);
      stopping_ = true;
      for (Job* j : running_) j->Cancel();
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    for (Job* j : queue_) delete j;
    for (Job* j : done_) delete j;
    queue_.clear();
    done_.clear();
    progress_.clear();
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), [](uv_handle_t* h) {
      Runner* r = static_cast<Runner*>(h->data);
      napi_remove_async_cleanup_hook(r->hook_);
      delete r;
    });
  }

  // JS thread, before any job: close the handle and free the runner.
  void discard() {
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), [](uv_handle_t* h) { delete static_cast<Runner*>(h->data); });
  }

 private:
  static size_t maxThreads() {
    const unsigned hc = std::thread::hardware_concurrency();
    return std::max<size_t>(4, hc);
  }

  // A job thread: take the oldest queued job, run it, post the result.
  void loop() {
    std::unique_lock<std::mutex> lk(mu_);
    for (;;) {
      cv_.wait(lk, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      Job* job = queue_.front();
      queue_.pop_front();
      --idle_;
      running_.push_back(job);
      lk.unlock();
      job->Execute();
      lk.lock();
      running_.erase(std::find(running_.begin(), running_.end(), job));
      done_.push_back(job);
      ++idle_;
      // Sent under the lock: shutdown() closes the handle only after joining us.
      uv_async_send(&async_);
    }
  }

  static void onAsync(uv_async_t* h) { static_cast<Runner*>(h->data)->drain(); }

  // JS thread: progress first (a job posts progress only before it is done),
  // then completions; each job is deleted inside its callback scope.
  void drain() {
    std::vector<Job*> progress, done;
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (stopping_) return;
      progress.swap(progress_);
      done.swap(done_);
      for (Job* j : progress) j->progressQueued_ = false;
    }
    Napi::Env env(env_);
    for (Job* j : progress) call(env, j, false);
    for (Job* j : done) {
      call(env, j, true);
      if (--pending_ == 0) uv_unref(reinterpret_cast<uv_handle_t*>(&async_));
    }
  }

  static void call(Napi::Env env, Job* j, bool complete) {
    try {
      Napi::HandleScope hs(env);
      if (!complete) {
        inScope(env, j->context_, [&] { j->Progress(env); }, [] {});
        return;
      }
      // The context outlives the scope it opens; the job does not.
      Napi::AsyncContext context = std::move(j->context_);
      std::unique_ptr<Job> owned(j);
      inScope(env, context, [&] { j->Complete(env); }, [&] { owned.reset(); });
    } catch (...) {
      // No handle scope (the environment is stopping): nothing can reach JS.
      if (complete) delete j;
    }
  }

  // fn, then after (even if fn threw), inside a callback scope; a throwing
  // user callback is reported as Node reports any callback's throw.
  template <class Fn, class After>
  static void inScope(Napi::Env env, napi_async_context context, Fn fn, After after) {
    try {
      Napi::CallbackScope cs(env, context);
      try {
        fn();
      } catch (const Napi::Error& e) {
        napi_value v = e.Value();
        if (v != nullptr) napi_fatal_exception(env, v);
      } catch (...) {
        // Complete/Progress only build JS values; nothing else is expected.
      }
      after();
    } catch (...) {
      // The callback scope could not open (the environment is stopping).
      after();
    }
  }

  napi_env env_;
  uv_async_t async_{};
  napi_async_cleanup_hook_handle hook_ = nullptr;
  int64_t pending_ = 0;  // JS thread only: queued + running + done, not yet completed
  std::mutex mu_;
  std::condition_variable cv_;
  // Guarded by mu_:
  std::deque<Job*> queue_;
  std::vector<Job*> running_, done_, progress_;
  std::vector<std::thread> threads_;  // appended under mu_, joined at shutdown
  size_t idle_ = 0;
  bool stopping_ = false;
};

namespace {

std::mutex gRunnersMu;
std::unordered_map<napi_env, Runner*> gRunners;

Runner* runnerOf(napi_env env) {
  std::lock_guard<std::mutex> lk(gRunnersMu);
  auto it = gRunners.find(env);
  if (it == gRunners.end())
    throw nnc::Error(nnc::Code::Internal, "the cpu engine's job runner is gone (the environment is shutting down)");
  return it->second;
}

void onCleanup(napi_async_cleanup_hook_handle hook, void* arg) {
  Runner* r = static_cast<Runner*>(arg);
  {
    std::lock_guard<std::mutex> lk(gRunnersMu);
    for (auto it = gRunners.begin(); it != gRunners.end(); ++it) {
      if (it->second == r) {
        gRunners.erase(it);
        break;
      }
    }
  }
  r->shutdown(hook);
}

}  // namespace

void Job::notifyProgress() noexcept { runner_->progress(this); }

void installJobRunner(Napi::Env env) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr)
    throw nnc::Error(nnc::Code::Internal, "the cpu engine could not reach the event loop");
  auto* r = new Runner(env, loop);
  if (napi_add_async_cleanup_hook(env, onCleanup, r, nullptr) != napi_ok) {
    // Never reached in practice; without the hook the handle would outlive the loop.
    r->discard();
    throw nnc::Error(nnc::Code::Internal, "the cpu engine could not register its shutdown hook");
  }
  std::lock_guard<std::mutex> lk(gRunnersMu);
  gRunners[env] = r;
}

void queueJob(Napi::Env env, std::unique_ptr<Job> job) { runnerOf(env)->queue(std::move(job)); }

}  // namespace nnc_addon
