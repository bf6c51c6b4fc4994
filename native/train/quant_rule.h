// The int8 rule of the integer export (docs/FORMAT.md 1.2), as the trainer's
// fake-quant forward applies it: a row's scale is max|w| / 127 (1 for an
// all-zero row), a weight becomes clamp(floor(w / s + 1/2), -127, 127),
// rounding half up as FORMAT.md's requantization does, and a bias lands on
// the grid s_in * s. src/train/export.ts writes the .nncm with the same rule
// in double arithmetic; test/quant-rule.test.ts pins the two together
// through Trainer.quantizeRows, which calls these functions.
//
// Float arithmetic on purpose (the forward runs on these every batch): it
// can round the other way from the exporter's doubles only when w / s lies
// within float rounding of a .5 tie, which the pin test measures.
#pragma once

#include <cmath>
#include <cstddef>

namespace nnc {
namespace train {
namespace quant {

inline float roundHalfUp(float x) { return std::floor(x + 0.5f); }

inline float maxAbs(const float* w, size_t n) {
  float m = 0;
  for (size_t i = 0; i < n; ++i) m = std::fabs(w[i]) > m ? std::fabs(w[i]) : m;
  return m;
}

// Symmetric int8 scale of a row (or tensor): max|w| -> 127.
inline float rowScale(const float* w, size_t n) {
  const float m = maxAbs(w, n);
  return m > 0 ? m / 127.f : 1.f;
}

// The int8 value (as a float) of w on a row whose scale has inverse inv = 1 / s.
inline float weightStep(float w, float inv) {
  const float r = roundHalfUp(w * inv);
  return r > 127.f ? 127.f : (r < -127.f ? -127.f : r);
}

// The int32 bias on the grid s_in * s_row (before the exporter's accumulator clamp).
inline float biasStep(float b, float grid) { return roundHalfUp(b / grid); }

// The u8 activation of y >= 0 on a layer whose scale has inverse inv. One
// expression, as it always was: a compiler that fuses y * inv + 0.5 into
// an fma (fp-contract) must keep doing so, or trained weights would change.
inline float activationStep(float y, float inv) {
  const float r = std::floor(y * inv + 0.5f);
  return r < 255.f ? r : 255.f;
}

}  // namespace quant
}  // namespace train
}  // namespace nnc
