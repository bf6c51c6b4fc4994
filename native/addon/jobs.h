// The addon's own job threads: where every async call (frame jobs in
// addon.cc, trainer jobs in train_binding.cc) runs its work.
//
// Why not Napi::AsyncWorker: it runs on libuv's threadpool (4 threads by
// default), which fs, dns.lookup, crypto and zlib share. A frame job holds
// its pool thread for seconds, so four of them stopped every fs call of the
// process for as long (an fs.promises.readFile took 4.7 s). These threads are
// the addon's: libuv's pool stays free for Node.
//
// One runner per Node environment (the main thread and each worker_thread):
// up to max(4, hardware threads) job threads, started on demand and reused;
// further jobs wait in a FIFO queue. A job's own parallelism is its `threads`
// argument (the frame code starts that many threads for the job).
// Completions reach JS through one uv_async handle on the environment's loop,
// inside a callback scope (so promise reactions and process.nextTick run, and
// async_hooks see a resource). The handle is referenced only while jobs are
// pending, so an idle addon never keeps the process alive.
//
// Shutdown: at environment teardown (worker.terminate(), the end of the main
// thread) an async cleanup hook cancels the running jobs, joins the threads
// (a cancelled job stops within one batch), drops results that can no longer
// reach JS and closes the handle. process.exit() runs no cleanup hooks: the
// threads are simply ended with the process, and nothing waits for them
// (libuv's pool, by contrast, is joined at exit, which made a process with a
// job in flight wait for the job to finish).
#pragma once

#include <napi.h>

#include <memory>

namespace nnc_addon {

class Runner;

class Job {
 public:
  // resourceName: the async_hooks resource type (e.g. "nnc-native").
  Job(Napi::Env env, const char* resourceName) : context_(env, resourceName) {}
  virtual ~Job() = default;
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

  // On a job thread: the work. Must catch everything it can throw (record
  // the error for Complete); an escaping exception ends the process.
  virtual void Execute() noexcept = 0;
  // On the JS thread, after Execute, in a handle scope and a callback scope:
  // hand the result or the error to JS. May throw Napi::Error (a throwing
  // user callback): it becomes an uncaught exception, as from any callback.
  // The job is deleted right after, still inside the callback scope, so its
  // memory is freed before any promise reaction runs.
  virtual void Complete(Napi::Env env) = 0;
  // On the JS thread, after the job called notifyProgress() (coalesced: one
  // call may stand for several notifications). Same rules as Complete.
  virtual void Progress(Napi::Env) {}
  // From the JS thread at teardown, while Execute may be running: ask it to
  // stop soon. Must be thread-safe and must not throw.
  virtual void Cancel() noexcept = 0;

 protected:
  // From Execute: schedule a Progress() call on the JS thread.
  void notifyProgress() noexcept;

 private:
  friend class Runner;
  Napi::AsyncContext context_;
  Runner* runner_ = nullptr;
  bool progressQueued_ = false;  // guarded by the runner's mutex
};

// Once per environment, from the addon's Init: creates the runner and its
// cleanup hook. Throws nnc::Error (ERR_NNC_INTERNAL) if the loop is unusable.
void installJobRunner(Napi::Env env);

// From the JS thread: run `job` on this environment's job threads. On
// failure (no thread could be started) throws nnc::Error and the job is
// destroyed without running.
void queueJob(Napi::Env env, std::unique_ptr<Job> job);

}  // namespace nnc_addon
