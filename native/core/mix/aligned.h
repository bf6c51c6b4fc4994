// A fixed-size array on 64-byte boundaries (cache lines): the mixing stage's
// tables, where a hashed bucket must be one line and SIMD loads are aligned.
// Allocation failure throws std::bad_alloc, which the addon's boundary maps
// to ERR_NNC_INTERNAL like any other.
#pragma once

#include <cstddef>
#include <new>

namespace nnc {
namespace mix {

template <class T>
class AlignedArray {
 public:
  AlignedArray() = default;
  explicit AlignedArray(size_t n) { resize(n); }
  AlignedArray(const AlignedArray&) = delete;
  AlignedArray& operator=(const AlignedArray&) = delete;
  ~AlignedArray() { release(); }

  void resize(size_t n) {
    release();
    if (n == 0) return;
    p_ = static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(64)));
    n_ = n;
  }
  T* data() { return p_; }
  const T* data() const { return p_; }
  size_t size() const { return n_; }
  T& operator[](size_t i) { return p_[i]; }
  const T& operator[](size_t i) const { return p_[i]; }

 private:
  void release() {
    if (p_) ::operator delete(p_, std::align_val_t(64));
    p_ = nullptr;
    n_ = 0;
  }
  T* p_ = nullptr;
  size_t n_ = 0;
};

}  // namespace mix
}  // namespace nnc
