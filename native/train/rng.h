// Seeded randomness for the trainer: xoshiro256** (state checkpointed) and a
// keyed pseudo-random permutation of [0, n) so an epoch visits the training
// positions in shuffled order without materializing a permutation array
// (which would cost 4-8 bytes per training byte).
#pragma once

#include <cmath>
#include <cstdint>

namespace nnc {
namespace train {

inline uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

struct Rng {
  uint64_t s[4] = {1, 2, 3, 4};

  void seed(uint64_t seed) {
    uint64_t x = seed;
    for (auto& w : s) w = splitmix64(x);
  }
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t next() {
    const uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
  }
  // Uniform in [0, 1) with 53 bits.
  double uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }
  // Standard normal (Box-Muller; one value per call keeps the state simple).
  double normal() {
    double u = uniform();
    while (u <= 0.0) u = uniform();
    const double v = uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
  }
};

// A bijection of [0, n): a 4-round balanced Feistel network on the smallest
// even number of bits covering n, with cycle walking (expected < 4 steps).
class Permutation {
 public:
  Permutation() = default;
  Permutation(uint64_t n, Rng& rng) : n_(n) {
    int bits = 2;
    while (bits < 64 && (uint64_t(1) << bits) < n) bits += 2;
    half_ = bits / 2;
    mask_ = (uint64_t(1) << half_) - 1;
    for (auto& k : keys_) k = rng.next();
  }
  uint64_t operator()(uint64_t i) const {
    uint64_t x = i;
    do x = round4(x);
    while (x >= n_);
    return x;
  }

 private:
  uint64_t round4(uint64_t x) const {
    uint64_t l = x >> half_, r = x & mask_;
    for (uint64_t k : keys_) {
      uint64_t z = r ^ k;
      const uint64_t f = splitmix64(z) & mask_;
      const uint64_t nl = r;
      r = l ^ f;
      l = nl;
    }
    return (l << half_) | r;
  }
  uint64_t n_ = 1, mask_ = 1;
  int half_ = 1;
  uint64_t keys_[4] = {};
};

}  // namespace train
}  // namespace nnc
