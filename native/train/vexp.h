// exp(x) for x <= 0 on a whole array, written so the compiler vectorizes it
// with the base ISA (no libm call per element; a softmax over 257 symbols
// per position would otherwise cost as much as a small hidden layer).
// Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, degree-7 Taylor
// polynomial (relative error < 2e-7), 2^n built in the exponent bits.
// Inputs below -87 give exp(-87) (> FLT_MIN): never a denormal or zero.
#pragma once

#include <cstdint>
#include <cstring>

namespace nnc {
namespace train {

inline void vexp(float* x, int n) {
  for (int i = 0; i < n; ++i) {
    const float v = x[i] < -87.f ? -87.f : x[i];
    const float nf = (v * 1.44269504088896341f + 12582912.f) - 12582912.f;  // round to nearest
    float r = v - nf * 0.693145751953125f;
    r = r - nf * 1.428606765330187e-06f;
    float p = 1.f / 5040.f;
    p = p * r + 1.f / 720.f;
    p = p * r + 1.f / 120.f;
    p = p * r + 1.f / 24.f;
    p = p * r + 1.f / 6.f;
    p = p * r + 0.5f;
    p = p * r + 1.f;
    p = p * r + 1.f;
    const int32_t bits = (static_cast<int32_t>(nf) + 127) << 23;
    float scale;
    std::memcpy(&scale, &bits, sizeof scale);
    x[i] = p * scale;
  }
}

}  // namespace train
}  // namespace nnc
