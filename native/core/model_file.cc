// .nncm parsing and validation (docs/FORMAT.md section 1). Order matters:
// every size is checked against the file before anything sized by it is
// allocated, so a hostile header costs nothing but the read of its first
// bytes; and the checks run in the TypeScript reader's order, so both
// engines report the same first fault.
#include "model_file.h"

#include <cstring>

#include "bytes.h"
#include "errors.h"
#include "json_check.h"
#include "xxhash64.h"

namespace nnc {
namespace {

// The canonical section's reader (bytes.h). The canonical size is checked
// against the header fields first, so running off the end here means a
// bug, but it is checked anyway (cheap, and it turns a bug into an error
// instead of a read past the buffer).
struct CanonicalEndsEarly {
  [[noreturn]] static void fail() {
    nnc::fail(Code::BadModel, "model canonical section ends early: the model file is damaged; re-download or re-export it");
  }
};
using Reader = ByteReader<CanonicalEndsEarly>;

std::vector<int8_t> i8s(Reader& r, size_t k) {
  const int8_t* q = reinterpret_cast<const int8_t*>(r.take(k));
  return std::vector<int8_t>(q, q + k);
}

[[noreturn]] void bad(const std::string& what) {
  fail(Code::BadModel, "invalid model file: " + what + "; the file is not a valid .nncm model (re-export or re-download it)");
}

DenseTensors readDense(Reader& r, int H, int n) {
  DenseTensors d;
  d.H = H;
  d.n = n;
  d.W = i8s(r, static_cast<size_t>(H) * n);
  d.b.resize(H);
  for (int h = 0; h < H; ++h) d.b[h] = static_cast<int32_t>(r.u32());
  return d;
}

// "inputMax * sum|W| + |b| < 2^31": every partial sum of a node fits int32
// in any order (inputs are activations 0..255, or embeddings -128..127 for
// layer 0).
void checkBound(const DenseTensors& d, int64_t inputMax, const char* which) {
  for (int h = 0; h < d.H; ++h) {
    int64_t s = 0;
    const int8_t* row = d.W.data() + static_cast<size_t>(h) * d.n;
    for (int i = 0; i < d.n; ++i) s += row[i] < 0 ? -static_cast<int64_t>(row[i]) : row[i];
    int64_t b = d.b[h];
    if (b < 0) b = -b;
    if (inputMax * s + b >= (int64_t{1} << 31))
      bad(std::string(which) + " node " + std::to_string(h) + " can overflow a 32-bit accumulator (section 1.2 bound)");
  }
}

}  // namespace

ModelTensors parseModelFile(const uint8_t* data, size_t len) {
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
  ModelTensors m;
  m.k = r.u8();
  m.E = r.u8();
  m.L = r.u8();
  const uint8_t reserved = r.u8();
  m.A = r.u16();
  m.T = r.u16();
  if (m.k < 1 || m.k > 64) bad("k = " + std::to_string(m.k) + " is outside 1..64");
  if (m.E < 1 || m.E > 64) bad("E = " + std::to_string(m.E) + " is outside 1..64");
  if (m.L < 1 || m.L > 4) bad("L = " + std::to_string(m.L) + " is outside 1..4");
  if (reserved != 0) bad("reserved byte of the canonical section is not 0");
  if (m.A < 2 || m.A > 257) bad("A = " + std::to_string(m.A) + " is outside 2..257");
  if (m.T < 2 || m.T > 4096) bad("T = " + std::to_string(m.T) + " is outside 2..4096");
  if (C < 8u + 2u * m.L) bad("canonical section too short for the hidden widths");
  for (int l = 0; l < m.L; ++l) {
    const int h = r.u16();
    if (h < 1 || h > 4096) bad("H[" + std::to_string(l) + "] = " + std::to_string(h) + " is outside 1..4096");
    m.H.push_back(h);
  }
  const uint64_t A = m.A, E = m.E, k = m.k, T = m.T;
  uint64_t size = 8 + 2ull * m.L + (A - 1) + (A + 1) * E;
  for (int l = 0; l < m.L; ++l) {
    const uint64_t n = l == 0 ? k * E : static_cast<uint64_t>(m.H[l - 1]);
    size += m.H[l] * n + 4ull * m.H[l] + 2ull * m.H[l] + 1;
  }
  size += A * m.H[m.L - 1] + 4 * A + 2 + 1 + 4 * T;
  if (size != C)
    bad("canonical section is " + std::to_string(C) + " bytes but k, E, L, A, T, H imply " + std::to_string(size));

  // --- alphabet --------------------------------------------------------------
  for (int s = 0; s < m.A - 1; ++s) {
    const uint8_t v = r.u8();
    if (s > 0 && v <= m.alphabet.back()) bad("alphabet is not strictly increasing at symbol " + std::to_string(s));
    m.alphabet.push_back(v);
  }

  // --- tensors ---------------------------------------------------------------
  m.emb = i8s(r, (A + 1) * E);
  m.hidden.resize(m.L);
  for (int l = 0; l < m.L; ++l) {
    HiddenTensors& h = m.hidden[l];
    h.dense = readDense(r, m.H[l], l == 0 ? m.k * m.E : m.H[l - 1]);
    h.M.resize(m.H[l]);
    for (auto& v : h.M) v = r.u16();
    h.S = r.u8();
    if (h.S < 1 || h.S > 40) bad("layer " + std::to_string(l) + " shift " + std::to_string(h.S) + " is outside 1..40");
  }
  m.out = readDense(r, m.A, m.H[m.L - 1]);
  m.mOut = r.u16();
  m.sOut = r.u8();
  if (m.sOut < 1 || m.sOut > 40) bad("logit shift " + std::to_string(m.sOut) + " is outside 1..40");
  m.exp.resize(m.T);
  for (int t = 0; t < m.T; ++t) m.exp[t] = r.u32();
  if (m.exp[0] != 65536) bad("EXP[0] is " + std::to_string(m.exp[0]) + ", not 65536");
  for (int t = 1; t < m.T; ++t)
    if (m.exp[t] > m.exp[t - 1]) bad("EXP table increases at index " + std::to_string(t));
  if (r.offset() != C) bad("canonical section has unread bytes");

  // --- accumulator bounds ----------------------------------------------------
  checkBound(m.hidden[0].dense, 128, "layer 0");
  for (int l = 1; l < m.L; ++l) checkBound(m.hidden[l].dense, 255, ("layer " + std::to_string(l)).c_str());
  checkBound(m.out, 255, "output layer");

  if (J > 0 && !validJsonObject(meta, J)) bad("metadata is not a UTF-8 JSON object");

  m.id = xxh64(canon, C);
  m.idHex = hex64(m.id);
  m.canonicalSize = C;
  m.metadataSize = J;
  return m;
}

}  // namespace nnc
