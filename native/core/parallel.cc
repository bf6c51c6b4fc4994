#include "parallel.h"

#include <algorithm>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "errors.h"

namespace nnc {

int resolveThreads(int threads) {
  if (threads < 0 || threads > 1024)
    fail(Code::InvalidArg, "Expected an integer from 0 to 1024 for threads but received " + std::to_string(threads));
  if (threads == 0) {
    const unsigned hc = std::thread::hardware_concurrency();
    threads = hc == 0 ? 1 : static_cast<int>(std::min(hc, 1024u));
  }
  return threads;
}

void parallelFor(int n, const std::function<void(int)>& body) {
  if (n <= 1) {
    body(0);
    return;
  }
  std::vector<std::exception_ptr> errs(n);
  std::vector<std::thread> ts;
  ts.reserve(n - 1);
  auto wrap = [&](int t) {
    try {
      body(t);
    } catch (...) {
      errs[t] = std::current_exception();
    }
  };
  try {
    for (int t = 1; t < n; ++t) ts.emplace_back(wrap, t);
  } catch (...) {
    // Could not start a thread: finish with what was started, then report.
    wrap(0);
    for (auto& th : ts) th.join();
    throw;
  }
  wrap(0);
  for (auto& th : ts) th.join();
  for (auto& e : errs)
    if (e) std::rethrow_exception(e);
}

}  // namespace nnc
