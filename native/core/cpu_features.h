// Run-time CPU feature detection. The binary is built for plain x86-64; the
// AVX2 / AVX-512 kernels live in their own translation units and are only
// called when the CPU *and the OS* (XSAVE state enabled in XCR0) support them.
#pragma once

#include <string>

namespace nnc {

struct CpuFeatures {
  bool avx2 = false;    // AVX2 + FMA + OS YMM state
  bool avx512 = false;  // AVX-512 F + BW + VL + VNNI + OS ZMM/opmask state
};

const CpuFeatures& cpuFeatures();

enum class Simd { Auto, Scalar, Avx2, Avx512 };

// "auto" | "scalar" | "avx2" | "avx512" -> Simd; anything else: ERR_NNC_INVALID_ARG.
Simd parseSimd(const std::string& s);
const char* simdName(Simd s);
// The level "auto" picks on this machine.
Simd bestSimd();

}  // namespace nnc
