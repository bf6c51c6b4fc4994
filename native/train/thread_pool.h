// A fixed pool for the trainer's parallel phases. run(fn) calls fn(t) for
// t = 0..size()-1 (t = 0 on the calling thread) and returns when all are
// done. Work is split statically by the callers (split() below), never
// stolen, so which thread computes what is a pure function of the sizes:
// one ingredient of the trainer's bit-identical runs.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace nnc {
namespace train {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_; }
  // The first exception thrown by any fn(t) is rethrown here after all finished.
  void run(const std::function<void(int)>& fn);

  // [begin, end) of part t of n items split into `parts` contiguous parts,
  // each a multiple of `align` items except the last.
  static void split(size_t n, int parts, int t, size_t align, size_t* begin, size_t* end);

 private:
  void worker(int t);
  void runOne(int t);

  int n_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int)>* job_ = nullptr;
  unsigned long long generation_ = 0;
  std::atomic<int> pending_{0};
  std::atomic<unsigned long long> published_{0};
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace train
}  // namespace nnc
