// Little-endian reads and writes of unaligned bytes: every file format field
// of docs/FORMAT.md is little-endian, whatever the host.
#pragma once

#include <cstddef>
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

// A bounds-checked little-endian cursor over n bytes (a model file's
// canonical section, a trainer checkpoint). Running off the end calls
// Short::fail(), which must throw: each format says in its own words (and
// with its own error code) what a short file means.
template <class Short>
class ByteReader {
 public:
  ByteReader(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  size_t left() const { return n_ - off_; }
  size_t offset() const { return off_; }
  const uint8_t* take(size_t k) {
    if (k > left()) Short::fail();
    const uint8_t* r = p_ + off_;
    off_ += k;
    return r;
  }
  uint8_t u8() { return *take(1); }
  uint16_t u16() { return rd16(take(2)); }
  uint32_t u32() { return rd32(take(4)); }
  uint64_t u64() { return rd64(take(8)); }
  float f32() {
    const uint32_t v = u32();
    float f;
    std::memcpy(&f, &v, 4);
    return f;
  }
  double f64() {
    const uint64_t v = u64();
    double f;
    std::memcpy(&f, &v, 8);
    return f;
  }

 private:
  const uint8_t* p_;
  size_t n_;
  size_t off_ = 0;
};

}  // namespace nnc
