// The .nncm model file (docs/FORMAT.md section 1), parsed and validated:
// every field and tensor exactly as the file holds it, nothing derived for
// any engine. Engines build their own layouts from a ModelTensors (the CPU
// engine's are model.h); a GPU engine would build its own from the same.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nnc {

// One dense layer: H outputs of n inputs. W is H*n row-major (int8), b H
// int32 biases.
struct DenseTensors {
  int H = 0, n = 0;
  std::vector<int8_t> W;
  std::vector<int32_t> b;
};

// A hidden layer: its dense part and the requantization (M: H multipliers,
// S the shift, 1..40).
struct HiddenTensors {
  DenseTensors dense;
  std::vector<uint16_t> M;
  int S = 1;
};

// What every engine's model keeps of the file as it is: the sizes, the
// alphabet and the identity.
struct ModelInfo {
  int k = 0, E = 0, L = 0, A = 0, T = 0;
  std::vector<int> H;             // L hidden widths
  std::vector<uint8_t> alphabet;  // A-1 byte values, strictly increasing
  uint64_t id = 0;                // XXH64 of the canonical section
  std::string idHex;
  size_t canonicalSize = 0, metadataSize = 0;
};

struct ModelTensors : ModelInfo {
  std::vector<int8_t> emb;         // (A+1) x E: A tokens, then PAD
  std::vector<HiddenTensors> hidden;  // L layers; layer 0 has n = k*E
  DenseTensors out;                // A outputs of H[L-1] inputs
  uint32_t mOut = 0;               // M_o
  int sOut = 1;                    // S_o, 1..40
  std::vector<uint32_t> exp;       // T entries, EXP[0] = 65536, non-increasing
};

// Parse and validate a whole .nncm file: container, canonical section,
// accumulator bounds (section 1.2), metadata JSON. Throws nnc::Error with
// ERR_NNC_BAD_MODEL (or ERR_NNC_UNSUPPORTED for a newer version / reserved
// bits) before allocating anything sized by an unchecked field, in the order
// the TypeScript reader (src/format/model-file.ts) checks, so both report
// alike.
ModelTensors parseModelFile(const uint8_t* data, size_t len);

}  // namespace nnc
