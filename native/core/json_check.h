// The metadata check of a model file (docs/FORMAT.md section 1.1): is it a
// UTF-8 JSON text whose top value is an object? Only checked, never parsed
// into values: the engines do not read the metadata.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nnc {

// Is p[0, n) a JSON text (RFC 8259, as JSON.parse accepts it, after an
// optional UTF-8 BOM that TextDecoder strips) whose top value is an object?
// Strict UTF-8 (what TextDecoder('utf-8', {fatal: true}) accepts). Iterative,
// so deep nesting cannot overflow the stack.
bool validJsonObject(const uint8_t* p, size_t n);

}  // namespace nnc
