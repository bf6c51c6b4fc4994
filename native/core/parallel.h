// The codec's threads: how many to use, a parallel-for over them, and
// cooperative cancellation. Threads are started per call and joined before
// it returns (a frame job is seconds of work, so starting threads costs
// nothing next to it, and no pool outlives a call or a Node environment).
#pragma once

#include <atomic>
#include <functional>

#include "errors.h"

namespace nnc {

// Cooperative cancellation. A job given a flag polls it between batches of
// work (at most kMaxBatch positions, or one lane of rANS coding, on each
// thread) and, once it is set, throws Error(Code::Aborted) after every
// thread stopped; its buffers are freed by the unwinding. Null: the job
// cannot be cancelled.
using CancelFlag = std::atomic<bool>;

// Throw ABORT_ERR once the caller asked to stop. Inline: the decoder polls
// once per lock-step position.
inline void pollCancel(const CancelFlag* cancel) {
  if (cancel && cancel->load(std::memory_order_relaxed)) fail(Code::Aborted, "the operation was aborted");
}

// The `threads` argument of every codec call: 1..1024, or 0 for one per
// hardware thread. Throws ERR_NNC_INVALID_ARG outside 0..1024.
int resolveThreads(int threads);

// Run body(t) for t in [0, n) on n threads (the caller's thread runs t = 0)
// and rethrow the first failure after all have joined. A thread that cannot
// be started is reported the same way, after the started ones finished.
void parallelFor(int n, const std::function<void(int)>& body);

}  // namespace nnc
