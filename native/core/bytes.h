// Little-endian reads and writes of unaligned bytes: every file format field
// of docs/FORMAT.md is little-endian, whatever the host.
#pragma once

#include <cstdint>

namespace nnc {

inline uint16_t rd16(const uint8_t* q) { return static_cast<uint16_t>(q[0] | (q[1] << 8)); }
inline uint32_t rd32(const uint8_t* q) {
  return static_cast<uint32_t>(q[0]) | (static_cast<uint32_t>(q[1]) << 8) | (static_cast<uint32_t>(q[2]) << 16) |
         (static_cast<uint32_t>(q[3]) << 24);
}
inline uint64_t rd64(const uint8_t* q) { return static_cast<uint64_t>(rd32(q)) | (static_cast<uint64_t>(rd32(q + 4)) << 32); }
inline void wr32(uint8_t* q, uint32_t v) {
  for (int i = 0; i < 4; ++i) q[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void wr64(uint8_t* q, uint64_t v) {
  for (int i = 0; i < 8; ++i) q[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace nnc
