// .nncm parsing and validation (docs/FORMAT.md section 1), then the layouts
// the kernels use. Order matters: every size is checked against the file
// before anything sized by it is allocated, so a hostile header costs
// nothing but the read of its first bytes.
#include "model.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "bytes.h"
#include "errors.h"
#include "xxhash64.h"

namespace nnc {
namespace {

// Bounds-checked little-endian reader over the canonical section. The
// canonical size is checked against the header fields first, so running off
// the end here means a bug, but it is checked anyway (cheap, and it turns a
// bug into an error instead of a read past the buffer).
class Reader {
 public:
  Reader(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  const uint8_t* take(size_t k) {
    if (k > n_ - off_) fail(Code::BadModel, "model canonical section ends early: the model file is damaged; re-download or re-export it");
    const uint8_t* r = p_ + off_;
    off_ += k;
    return r;
  }
  uint8_t u8() { return *take(1); }
  uint16_t u16() { return rd16(take(2)); }
  uint32_t u32() { return rd32(take(4)); }
  size_t offset() const { return off_; }

 private:
  const uint8_t* p_;
  size_t n_;
  size_t off_ = 0;
};

[[noreturn]] void bad(const std::string& what) {
  fail(Code::BadModel, "invalid model file: " + what + "; the file is not a valid .nncm model (re-export or re-download it)");
}

void readDense(Reader& r, DenseLayer& d, int H, int n, int Hpad, int npad) {
  d.H = H;
  d.n = n;
  d.Hpad = Hpad;
  d.npad = npad;
  const uint8_t* w = r.take(static_cast<size_t>(H) * n);
  d.w.assign(reinterpret_cast<const int8_t*>(w), reinterpret_cast<const int8_t*>(w) + static_cast<size_t>(H) * n);
  d.b.assign(Hpad, 0);
  for (int h = 0; h < H; ++h) d.b[h] = static_cast<int32_t>(r.u32());
}

// "255 * sum|W| + |b| < 2^31" for layers fed by activations (0..255).
void checkBound(const DenseLayer& d, int64_t inputMax, const char* which) {
  for (int h = 0; h < d.H; ++h) {
    int64_t s = 0;
    const int8_t* row = d.w.data() + static_cast<size_t>(h) * d.n;
    for (int i = 0; i < d.n; ++i) s += row[i] < 0 ? -static_cast<int64_t>(row[i]) : row[i];
    int64_t b = d.b[h];
    if (b < 0) b = -b;
    if (inputMax * s + b >= (int64_t{1} << 31))
      bad(std::string(which) + " node " + std::to_string(h) + " can overflow a 32-bit accumulator (section 1.2 bound)");
  }
}

void packLayouts(DenseLayer& d) {
  const int n4 = d.npad / 4, n2 = d.npad / 2;
  d.wVnni.assign(static_cast<size_t>(d.Hpad) * d.npad, 0);
  d.wAvx2.assign(static_cast<size_t>(d.Hpad) * d.npad, 0);
  for (int h = 0; h < d.H; ++h) {
    for (int i = 0; i < d.n; ++i) {
      const int8_t v = d.w[static_cast<size_t>(h) * d.n + i];
      const size_t vi = ((static_cast<size_t>(h / 16) * n4 + i / 4) * 16 + h % 16) * 4 + i % 4;
      d.wVnni[vi] = v;
      const size_t ai = ((static_cast<size_t>(h / 8) * n2 + i / 2) * 8 + h % 8) * 2 + i % 2;
      d.wAvx2[ai] = v;
    }
  }
}

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

// Is p[0, n) a JSON text (RFC 8259, as JSON.parse accepts it, after an
// optional UTF-8 BOM that TextDecoder strips) whose top value is an object?
// Iterative, so deep nesting cannot overflow the stack.
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

}  // namespace

bool requantFits32(int S) {
  return (255ull << S) + 65536 + (1ull << (S - 1)) < (1ull << 32);
}

uint32_t requantThreshold(uint32_t M, int S) {
  if (M == 0) return 0x7FFFFFFF;
  const uint64_t need = (255ull << S) - (1ull << (S - 1));  // acc*M >= need  <=>  result >= 255
  return static_cast<uint32_t>(std::min<uint64_t>(0x7FFFFFFF, (need + M - 1) / M));
}

uint32_t distanceThreshold(uint32_t mOut, int sOut, int T) {
  const uint64_t half = uint64_t{1} << (sOut - 1);
  const uint64_t top = static_cast<uint64_t>(T - 1) << sOut;
  if (top + 65536 + half >= (1ull << 32)) return 0;
  if (mOut == 0) return 0xFFFFFFFFu;
  const uint64_t need = top - half;  // diff*M_o >= need  <=>  d >= T-1
  return static_cast<uint32_t>(std::min<uint64_t>(0xFFFFFFFFull, (need + mOut - 1) / mOut));
}

int Model::maxPad() const {
  int m = std::max(H0pad, out.Hpad);
  for (const auto& d : hidden) m = std::max(m, d.Hpad);
  return m;
}

std::shared_ptr<const Model> parseModel(const uint8_t* data, size_t len) {
  // --- 1.1 container -------------------------------------------------------
  if (len < 24) bad("it is " + std::to_string(len) + " bytes, shorter than the 24-byte minimum");
  static const uint8_t kMagic[4] = {0x89, 'N', 'C', 'M'};
  if (std::memcmp(data, kMagic, 4) != 0) bad("wrong magic (not an nnc model)");
  const uint16_t version = rd16(data + 4);
  if (version != 1)
    fail(Code::Unsupported, "model format version " + std::to_string(version) +
                                " is newer than this nnc-native supports (1); upgrade nnc-native");
  const uint16_t flags = rd16(data + 6);
  if (flags != 0)
    fail(Code::Unsupported, "model flags 0x" + std::to_string(flags) +
                                " are set but reserved in version 1; this model needs a newer nnc-native");
  const uint32_t C = rd32(data + 8), J = rd32(data + 12);
  if (C < 1 || C > (1u << 28)) bad("canonical size " + std::to_string(C) + " is outside 1..2^28");
  if (J > (1u << 20)) bad("metadata size " + std::to_string(J) + " is over 2^20");
  const uint64_t want = 24ull + C + J;
  if (static_cast<uint64_t>(len) != want)
    bad("file is " + std::to_string(len) + " bytes but its header says " + std::to_string(want) +
        (static_cast<uint64_t>(len) < want ? " (truncated)" : " (trailing bytes)"));
  const uint64_t stored = rd64(data + 16 + C + J);
  if (xxh64(data, 16ull + C + J) != stored) bad("checksum mismatch (the file is damaged)");
  // Metadata must be a JSON object (checked after the canonical section,
  // in the same order as the TypeScript reader, so both report alike).
  const uint8_t* meta = data + 16 + C;

  // --- 1.2 canonical section: scalar fields, then the implied size ---------
  const uint8_t* canon = data + 16;
  Reader r(canon, C);
  if (C < 8) bad("canonical section of " + std::to_string(C) + " bytes is too short for its fixed fields");
  auto m = std::make_shared<Model>();
  m->k = r.u8();
  m->E = r.u8();
  m->L = r.u8();
  const uint8_t reserved = r.u8();
  m->A = r.u16();
  m->T = r.u16();
  if (m->k < 1 || m->k > 64) bad("k = " + std::to_string(m->k) + " is outside 1..64");
  if (m->E < 1 || m->E > 64) bad("E = " + std::to_string(m->E) + " is outside 1..64");
  if (m->L < 1 || m->L > 4) bad("L = " + std::to_string(m->L) + " is outside 1..4");
  if (reserved != 0) bad("reserved byte of the canonical section is not 0");
  if (m->A < 2 || m->A > 257) bad("A = " + std::to_string(m->A) + " is outside 2..257");
  if (m->T < 2 || m->T > 4096) bad("T = " + std::to_string(m->T) + " is outside 2..4096");
  if (C < 8u + 2u * m->L) bad("canonical section too short for the hidden widths");
  for (int l = 0; l < m->L; ++l) {
    const int h = r.u16();
    if (h < 1 || h > 4096) bad("H[" + std::to_string(l) + "] = " + std::to_string(h) + " is outside 1..4096");
    m->H.push_back(h);
  }
  const uint64_t A = m->A, E = m->E, k = m->k, T = m->T;
  uint64_t size = 8 + 2ull * m->L + (A - 1) + (A + 1) * E;
  for (int l = 0; l < m->L; ++l) {
    const uint64_t n = l == 0 ? k * E : static_cast<uint64_t>(m->H[l - 1]);
    size += m->H[l] * n + 4ull * m->H[l] + 2ull * m->H[l] + 1;
  }
  size += A * m->H[m->L - 1] + 4 * A + 2 + 1 + 4 * T;
  if (size != C)
    bad("canonical section is " + std::to_string(C) + " bytes but k, E, L, A, T, H imply " + std::to_string(size));

  // --- alphabet and tokens -------------------------------------------------
  const int ESC = m->A - 1;
  for (int b = 0; b < 256; ++b) m->tokenOf[b] = static_cast<uint16_t>(ESC);
  for (int s = 0; s < m->A - 1; ++s) {
    const uint8_t v = r.u8();
    if (s > 0 && v <= m->alphabet.back()) bad("alphabet is not strictly increasing at symbol " + std::to_string(s));
    m->alphabet.push_back(v);
    m->tokenOf[v] = static_cast<uint16_t>(s);
    m->inAlphabet[v] = true;
  }

  // --- tensors ---------------------------------------------------------------
  const uint8_t* embp = r.take((A + 1) * E);
  const int8_t* emb = reinterpret_cast<const int8_t*>(embp);

  m->hidden.resize(m->L);
  m->rq.resize(m->L);
  DenseLayer layer0;  // kept only to build F and check the bound
  for (int l = 0; l < m->L; ++l) {
    const int H = m->H[l];
    const int Hpad = padTo(H, kPad);
    if (l == 0) {
      readDense(r, layer0, H, m->k * m->E, Hpad, padTo(m->k * m->E, kPad));
    } else {
      readDense(r, m->hidden[l], H, m->H[l - 1], Hpad, m->hidden[l - 1].Hpad);
    }
    if (l == 0) m->hidden[0].Hpad = Hpad, m->hidden[0].H = H;
    m->rq[l].m.assign(Hpad, 0);
    for (int h = 0; h < H; ++h) m->rq[l].m[h] = r.u16();
    m->rq[l].s = r.u8();
    if (m->rq[l].s < 1 || m->rq[l].s > 40)
      bad("layer " + std::to_string(l) + " shift " + std::to_string(m->rq[l].s) + " is outside 1..40");
  }
  const int Hlast = m->H[m->L - 1];
  readDense(r, m->out, m->A, Hlast, padTo(m->A, kPad), m->hidden[m->L - 1].Hpad);
  m->mOut = r.u16();
  m->sOut = r.u8();
  if (m->sOut < 1 || m->sOut > 40) bad("logit shift " + std::to_string(m->sOut) + " is outside 1..40");
  m->exp.resize(m->T);
  for (int t = 0; t < m->T; ++t) m->exp[t] = r.u32();
  if (m->exp[0] != 65536) bad("EXP[0] is " + std::to_string(m->exp[0]) + ", not 65536");
  for (int t = 1; t < m->T; ++t)
    if (m->exp[t] > m->exp[t - 1]) bad("EXP table increases at index " + std::to_string(t));
  if (r.offset() != C) bad("canonical section has unread bytes");

  // --- accumulator bounds ----------------------------------------------------
  checkBound(layer0, 128, "layer 0");
  for (int l = 1; l < m->L; ++l) checkBound(m->hidden[l], 255, ("layer " + std::to_string(l)).c_str());
  checkBound(m->out, 255, "output layer");

  if (J > 0 && !validJsonObject(meta, J)) bad("metadata is not a UTF-8 JSON object");

  // --- derived layouts -------------------------------------------------------
  m->id = xxh64(canon, C);
  m->idHex = hex64(m->id);
  m->canonicalSize = C;
  m->metadataSize = J;

  const int H0 = m->H[0];
  m->H0pad = padTo(H0, kPad);
  const size_t rows = static_cast<size_t>(m->k) * (m->A + 1);
  m->F.assign(rows * m->H0pad, 0);
  const int n0 = m->k * m->E;
  for (int j = 0; j < m->k; ++j) {
    for (int t = 0; t <= m->A; ++t) {
      int32_t* row = m->F.data() + (static_cast<size_t>(j) * (m->A + 1) + t) * m->H0pad;
      const int8_t* e = emb + static_cast<size_t>(t) * m->E;
      for (int h = 0; h < H0; ++h) {
        const int8_t* w = layer0.w.data() + static_cast<size_t>(h) * n0 + static_cast<size_t>(j) * m->E;
        int32_t s = 0;
        for (int i = 0; i < m->E; ++i) s += static_cast<int32_t>(e[i]) * w[i];
        row[h] = s;
      }
    }
  }
  // Compact copy when every entry fits in int16 (typical of trained models):
  // half the bytes, so the table stays in L2 and layer 0, which is bound by
  // memory, runs faster. Same integers, so results are unchanged.
  m->b0.assign(m->H0pad, 0);
  for (int h = 0; h < H0; ++h) m->b0[h] = layer0.b[h];
  const bool fits16 = std::all_of(m->F.begin(), m->F.end(), [](int32_t v) { return v >= -32768 && v <= 32767; });
  if (fits16) {
    m->F16.assign(m->F.begin(), m->F.end());
    std::vector<int32_t>().swap(m->F);
  } else {
    // Fold b_0 into the j = 0 rows (exactly one token is picked per j).
    for (int t = 0; t <= m->A; ++t)
      for (int h = 0; h < H0; ++h) m->F[static_cast<size_t>(t) * m->H0pad + h] += layer0.b[h];
  }
  for (int l = 0; l < m->L; ++l) {
    Requant& q = m->rq[l];
    if (requantFits32(q.s)) {
      q.thr.resize(q.m.size());
      for (size_t h = 0; h < q.m.size(); ++h) q.thr[h] = requantThreshold(q.m[h], q.s);
    }
  }
  m->dThr = distanceThreshold(m->mOut, m->sOut, m->T);
  for (int l = 1; l < m->L; ++l) packLayouts(m->hidden[l]);
  packLayouts(m->out);
  return m;
}

}  // namespace nnc
