#include "params.h"

#include <cstdio>

#include "../bytes.h"
#include "../errors.h"

namespace nnc {

std::string mixParamsProblem(const MixParams& p, bool* unknownBits) {
  *unknownBits = false;
  if (p.mask & ~kMixKnown) {
    *unknownBits = true;
    char b[16];
    std::snprintf(b, sizeof b, "%x", static_cast<unsigned>(p.mask));
    return std::string("unknown experts (mask 0x") + b + ")";
  }
  const auto size = [](const char* name, int v, bool on, int lo, int hi) -> std::string {
    if (on ? v >= lo && v <= hi : v == 0) return "";
    return std::string(name) + " = " + std::to_string(v) +
           (on ? " (expected " + std::to_string(lo) + ".." + std::to_string(hi) + ")" : " (expected 0: its expert is off)");
  };
  std::string s = size("HB", p.hb, (p.mask & kMixHashed) != 0, kMixHbMin, kMixHbMax);
  if (s.empty()) s = size("MB", p.mb, (p.mask & kMixMatch) != 0, kMixMbMin, kMixMbMax);
  if (s.empty()) s = size("A2B", p.a2b, (p.mask & kMixApm) != 0, kMixA2bMin, kMixA2bMax);
  if (s.empty() && p.level > kMixLevelMax)
    s = "level byte " + std::to_string(p.level) + " (expected 0.." + std::to_string(kMixLevelMax) + ")";
  return s;
}

MixParams parseMixParams(const uint8_t* block) {
  MixParams p;
  p.mask = rd32(block);
  p.hb = block[4];
  p.mb = block[5];
  p.a2b = block[6];
  p.level = block[7];
  bool unknown = false;
  const std::string problem = mixParamsProblem(p, &unknown);
  if (unknown)
    fail(Code::Unsupported, "mixed frame uses " + problem + "; it was written by a newer nnc: upgrade nnc-native");
  if (!problem.empty()) fail(Code::Corrupt, "mixed frame parameter block has " + problem + ": the archive is damaged");
  return p;
}

void writeMixParams(uint8_t* out, const MixParams& p) {
  wr32(out, p.mask);
  out[4] = p.hb;
  out[5] = p.mb;
  out[6] = p.a2b;
  out[7] = p.level;
}

}  // namespace nnc
