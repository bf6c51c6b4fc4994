#include "thread_pool.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define NNC_PAUSE() _mm_pause()
#else
#define NNC_PAUSE() std::this_thread::yield()
#endif

namespace nnc {
namespace train {

// Phases last from microseconds (elementwise passes) to tens of
// milliseconds (GEMMs): spin briefly before sleeping on the condition.
static constexpr int kSpin = 20000;

ThreadPool::ThreadPool(int threads) : n_(threads < 1 ? 1 : threads) {
  threads_.reserve(n_ - 1);
  for (int t = 1; t < n_; ++t) threads_.emplace_back([this, t] { worker(t); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    published_.store(~0ull, std::memory_order_release);
  }
  wake_.notify_all();
  for (auto& th : threads_) th.join();
}

void ThreadPool::runOne(int t) {
  try {
    (*job_)(t);
  } catch (...) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!error_) error_ = std::current_exception();
  }
}

void ThreadPool::run(const std::function<void(int)>& fn) {
  if (n_ == 1) {
    fn(0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = &fn;
    error_ = nullptr;
    pending_.store(n_ - 1, std::memory_order_relaxed);
    ++generation_;
    published_.store(generation_, std::memory_order_release);
  }
  wake_.notify_all();
  runOne(0);
  for (int i = 0; i < kSpin && pending_.load(std::memory_order_acquire) != 0; ++i) NNC_PAUSE();
  if (pending_.load(std::memory_order_acquire) != 0) {
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return pending_.load(std::memory_order_acquire) == 0; });
  }
  std::exception_ptr e;
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = nullptr;
    e = error_;
    error_ = nullptr;
  }
  if (e) std::rethrow_exception(e);
}

void ThreadPool::worker(int t) {
  unsigned long long seen = 0;
  for (;;) {
    for (int i = 0; i < kSpin && published_.load(std::memory_order_acquire) == seen; ++i) NNC_PAUSE();
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    runOne(t);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mu_);
      done_.notify_one();
    }
  }
}

void ThreadPool::split(size_t n, int parts, int t, size_t align, size_t* begin, size_t* end) {
  if (align < 1) align = 1;
  const size_t units = (n + align - 1) / align;
  size_t b = units * t / parts * align, e = units * (t + 1) / parts * align;
  if (b > n) b = n;
  if (e > n) e = n;
  *begin = b;
  *end = e;
}

}  // namespace train
}  // namespace nnc
