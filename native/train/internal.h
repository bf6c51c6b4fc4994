// What the trainer's own files share (private to native/train): the
// configuration range check in the one message format (trainer.cc, used by
// the epoch's lasso check too) and the stopwatch behind Trainer::timing().
#pragma once

#include <chrono>

namespace nnc {
namespace train {

// Throws ERR_NNC_INVALID_ARG ("Expected a number in [lo, hi) for NAME but
// received V") unless v is finite and inside the range.
void checkReal(const char* name, double v, double lo, double hi, bool loOpen, bool hiOpen);

using Clock = std::chrono::steady_clock;
inline double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

}  // namespace train
}  // namespace nnc
