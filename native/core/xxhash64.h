// XXH64 with seed 0 (model IDs and frame checksums, docs/FORMAT.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace nnc {

uint64_t xxh64(const uint8_t* data, size_t len, uint64_t seed = 0);

// 16 lowercase hex digits, most significant first (how IDs are printed).
std::string hex64(uint64_t v);

}  // namespace nnc
