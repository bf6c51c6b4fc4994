// The CPU engine's model: a parsed, validated .nncm file (model_file.h,
// docs/FORMAT.md section 1) in the layouts the CPU kernels compute with.
// Everything here is immutable after buildCpuModel returns, so one Model is
// shared by any number of threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model_file.h"

namespace nnc {

// Row padding for every layer's outputs (and so the next layer's inputs):
// 16 int32 = one AVX-512 register, and a multiple of 4 u8 for VNNI groups.
constexpr int kPad = 16;

inline int padTo(int v, int m) { return (v + m - 1) / m * m; }

// One dense layer (hidden l >= 1, or the output layer). Padded rows have
// zero weights and zero bias, so padded outputs are exactly 0 and, after
// requantization, padded activations are 0: padding never changes a sum.
struct DenseLayer {
  int H = 0, n = 0;        // real output / input counts
  int Hpad = 0, npad = 0;  // padded to kPad
  std::vector<int8_t> w;   // H*n row-major, exactly as in the file (scalar kernel)
  std::vector<int32_t> b;  // Hpad, zero-padded
  // VNNI layout: [Hpad/16][npad/4][16 outputs][4 inputs] i8. One 64-byte load
  // feeds vpdpbusd for 16 outputs x 4 consecutive inputs.
  std::vector<int8_t> wVnni;
  // AVX2 layout: [Hpad/8][npad/2][8 outputs][2 inputs] i16. One 32-byte load
  // feeds vpmaddwd for 8 outputs x 2 inputs (exact: |255*128*2| < 2^31).
  std::vector<int16_t> wAvx2;
};

// Requantization parameters of a hidden layer.
struct Requant {
  std::vector<uint32_t> m;  // Hpad (padded entries 0)
  int s = 1;
  // 32-bit shortcut (SIMD kernels only): thr[h] = the smallest acc whose
  // result is 255 (INT32_MAX when M = 0). Clamping acc to thr first leaves
  // the result unchanged and keeps acc*M + 2^(S-1) below 2^32 whenever
  // 255*2^S + 2^16 + 2^(S-1) < 2^32; thr is empty when that does not hold.
  std::vector<uint32_t> thr;
};

// ModelInfo (k, E, L, A, T, H, alphabet, ID) as the file has it, then the
// CPU layouts.
struct Model : ModelInfo {
  uint16_t tokenOf[256] = {};      // byte -> token (symbol or ESC)
  bool inAlphabet[256] = {};

  // Layer 0 folded with the embedding: F[(j*(A+1)+t)*H0pad + h]
  //   = sum_e emb[t*E+e] * W_0[h*n_0 + j*E + e], plus b_0[h] when j == 0
  // (exactly one token is picked per j, so folding the bias into j = 0 is
  // exact). Bounded by the layer-0 accumulator check, so every partial sum
  // of these rows fits in int32 in any order.
  int H0pad = 0;
  std::vector<int32_t> F;
  // When every F entry (without the bias) fits in int16, F is empty and
  // F16 holds the table, with the bias kept apart in b0 (H0pad entries).
  std::vector<int16_t> F16;
  std::vector<int32_t> b0;

  std::vector<Requant> rq;          // L entries
  std::vector<DenseLayer> hidden;   // L entries; hidden[0] is unused (F replaces it)
  DenseLayer out;                   // A outputs
  uint32_t mOut = 0;
  int sOut = 1;
  std::vector<uint32_t> exp;        // T entries
  // Same shortcut for the distances: dThr = the smallest zmax - z whose
  // distance is T-1; valid (non-zero) only when (T-1)*2^S_o + 2^16 + 2^(S_o-1) < 2^32.
  uint32_t dThr = 0;

  // Widest padded row any layer writes (scratch sizing).
  int maxPad() const;
};

// The 32-bit shortcuts' thresholds (see Requant::thr and Model::dThr).
bool requantFits32(int S);
uint32_t requantThreshold(uint32_t M, int S);
uint32_t distanceThreshold(uint32_t mOut, int sOut, int T);  // 0: no shortcut

// The CPU layouts of a parsed model file. The file's checks (bounds, sizes)
// are what make these layouts safe, so they are built only from a
// ModelTensors that parseModelFile returned.
std::shared_ptr<const Model> buildCpuModel(const ModelTensors& file);

// parseModelFile (model_file.h), then buildCpuModel: a whole .nncm file to
// the CPU engine's model. Throws what parseModelFile throws.
std::shared_ptr<const Model> parseModel(const uint8_t* data, size_t len);

}  // namespace nnc
