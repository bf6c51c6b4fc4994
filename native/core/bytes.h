// Little-endian reads and writes of unaligned bytes: every file format field
// of docs/FORMAT.md is little-endian, whatever the host.
#pragma once

#include <cstdint>
#include <cstring>

namespace nnc {

inline uint16_t rd16(const uint8_t* q) { return static_cast<uint16_t>(q[0] | (q[1] << 8)); }
// memcpy, not casts: no alignment or aliasing assumptions, and one load
// where the host is little-endian (XXH64 reads its whole input this way).
inline uint32_t rd32(const uint8_t* q) {
  uint32_t v;
  std::memcpy(&v, q, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  return v;
}
inline uint64_t rd64(const uint8_t* q) {
  uint64_t v;
  std::memcpy(&v, q, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}
inline void wr32(uint8_t* q, uint32_t v) {
  for (int i = 0; i < 4; ++i) q[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void wr64(uint8_t* q, uint64_t v) {
  for (int i = 0; i < 8; ++i) q[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace nnc
