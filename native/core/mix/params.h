// Frame method 2's parameter block (docs/FORMAT.md section 5.1; TS twin
// src/format/mix-params.ts): the experts mask and the table sizes that open
// a mixed frame's payload. The block says everything a decoder allocates,
// so it is validated before anything is.
#pragma once

#include <cstdint>
#include <string>

namespace nnc {

struct MixParams {
  uint32_t mask = 0;  // kMix* bits
  uint8_t hb = 0;     // 2^hb buckets per hashed kind (0: no hashed kind)
  uint8_t mb = 0;     // 2^mb match-table entries (0: no match model)
  uint8_t a2b = 0;    // 2^a2b APM2 contexts (0: no APMs)
  uint8_t level = 0;  // the writer's level, informational
};

constexpr size_t kMixParamsSize = 8;
constexpr uint32_t kMixO1 = 1u << 0;
constexpr uint32_t kMixHashed = 0x1FFEu;  // bits 1..12: the hashed kinds in order
constexpr uint32_t kMixMatch = 1u << 13;
constexpr uint32_t kMixNet = 1u << 14;
constexpr uint32_t kMixMixer2 = 1u << 15;
constexpr uint32_t kMixApm = 1u << 16;
constexpr uint32_t kMixKnown = 0x1FFFFu;
constexpr int kMixHbMin = 10, kMixHbMax = 18;
constexpr int kMixMbMin = 12, kMixMbMax = 22;
constexpr int kMixA2bMin = 8, kMixA2bMax = 16;
constexpr int kMixLevelMax = 9;

// What is wrong with p, or "" when it is a valid block. *unknownBits is set
// when the problem is an expert this build does not know (a newer writer).
std::string mixParamsProblem(const MixParams& p, bool* unknownBits);

// Parse and validate the 8 bytes at `block`: unknown expert bits are
// ERR_NNC_UNSUPPORTED, a size out of range (or non-zero for an expert that
// is off) or a level byte over 9 is ERR_NNC_CORRUPT, as parseMixParams.
MixParams parseMixParams(const uint8_t* block);

void writeMixParams(uint8_t* out, const MixParams& p);

}  // namespace nnc
