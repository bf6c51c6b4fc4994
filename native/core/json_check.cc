// A validator of JSON texts, iterative, that accepts exactly what
// TextDecoder('utf-8', {fatal: true}) then JSON.parse accept.
#include "json_check.h"

#include <cctype>
#include <cstring>
#include <vector>

namespace nnc {
namespace {

// Strict UTF-8 (what TextDecoder('utf-8', {fatal: true}) accepts): no
// overlong forms, no surrogates, nothing above U+10FFFF.
bool validUtf8(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    const uint8_t c = p[i];
    if (c < 0x80) { ++i; continue; }
    int len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) len = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, cp = c & 0x07;
    else return false;
    if (n - i < static_cast<size_t>(len)) return false;
    for (int k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
      return false;
    i += len;
  }
  return true;
}

}  // namespace

bool validJsonObject(const uint8_t* p, size_t n) {
  if (!validUtf8(p, n)) return false;
  size_t i = 0;
  if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) i = 3;
  auto ws = [&] { while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) ++i; };
  auto isDigit = [&](size_t j) { return j < n && p[j] >= '0' && p[j] <= '9'; };
  auto str = [&]() -> bool {
    if (i >= n || p[i] != '"') return false;
    ++i;
    while (i < n) {
      const uint8_t c = p[i];
      if (c == '"') { ++i; return true; }
      if (c < 0x20) return false;
      if (c == '\\') {
        if (++i >= n) return false;
        const uint8_t e = p[i];
        if (e == 'u') {
          for (int k = 1; k <= 4; ++k)
            if (i + k >= n || !std::isxdigit(p[i + k])) return false;
          i += 5;
          continue;
        }
        if (!std::strchr("\"\\/bfnrt", e) || e == 0) return false;
      }
      ++i;
    }
    return false;
  };
  auto scalar = [&]() -> bool {
    if (i >= n) return false;
    const uint8_t c = p[i];
    if (c == '"') return str();
    for (const char* lit : {"true", "false", "null"}) {
      const size_t L = std::strlen(lit);
      if (n - i >= L && std::memcmp(p + i, lit, L) == 0) { i += L; return true; }
    }
    if (c == '-') ++i;
    if (i < n && p[i] == '0') ++i;
    else if (isDigit(i) && p[i] != '0') { while (isDigit(i)) ++i; }
    else return false;
    if (i < n && p[i] == '.') { ++i; if (!isDigit(i)) return false; while (isDigit(i)) ++i; }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
      ++i;
      if (i < n && (p[i] == '+' || p[i] == '-')) ++i;
      if (!isDigit(i)) return false;
      while (isDigit(i)) ++i;
    }
    return true;
  };
  auto key = [&]() -> bool {
    ws();
    if (!str()) return false;
    ws();
    if (i >= n || p[i] != ':') return false;
    ++i;
    return true;
  };
  std::vector<uint8_t> stack;
  ws();
  if (i >= n || p[i] != '{') return false;
  for (;;) {
    // parse one value
    ws();
    if (i >= n) return false;
    if (p[i] == '{' || p[i] == '[') {
      const uint8_t open = p[i++];
      ws();
      if (i < n && p[i] == (open == '{' ? '}' : ']')) {
        ++i;
      } else {
        stack.push_back(open);
        if (open == '{' && !key()) return false;
        continue;
      }
    } else if (!scalar()) {
      return false;
    }
    // after a value: close containers or move to the next element
    for (;;) {
      ws();
      if (stack.empty()) return i == n;
      if (i >= n) return false;
      const uint8_t top = stack.back();
      if (p[i] == ',') {
        ++i;
        if (top == '{' && !key()) return false;
        break;
      }
      if (p[i] == (top == '{' ? '}' : ']')) {
        ++i;
        stack.pop_back();
        continue;
      }
      return false;
    }
  }
}

}  // namespace nnc
