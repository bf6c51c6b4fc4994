// The CPU engine's layouts of a model (model.h), built from the parsed file
// (model_file.h): the folded layer-0 table, padded biases and multipliers,
// the SIMD weight layouts and the 32-bit shortcut thresholds.
#include "model.h"

#include <algorithm>

#include "xxhash64.h"

namespace nnc {
namespace {

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

// The layer's weights as the scalar kernel reads them, its bias padded to
// Hpad (padded outputs are 0), and the SIMD layouts.
DenseLayer cpuDense(const DenseTensors& d, int Hpad, int npad) {
  DenseLayer c;
  c.H = d.H;
  c.n = d.n;
  c.Hpad = Hpad;
  c.npad = npad;
  c.w = d.W;
  c.b.assign(Hpad, 0);
  std::copy(d.b.begin(), d.b.end(), c.b.begin());
  packLayouts(c);
  return c;
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

std::shared_ptr<const Model> buildCpuModel(const ModelTensors& file) {
  auto m = std::make_shared<Model>();
  static_cast<ModelInfo&>(*m) = file;
  const int ESC = m->A - 1;
  for (int b = 0; b < 256; ++b) m->tokenOf[b] = static_cast<uint16_t>(ESC);
  for (int s = 0; s < m->A - 1; ++s) {
    m->tokenOf[m->alphabet[s]] = static_cast<uint16_t>(s);
    m->inAlphabet[m->alphabet[s]] = true;
  }

  m->hidden.resize(m->L);
  m->rq.resize(m->L);
  for (int l = 0; l < m->L; ++l) {
    const int Hpad = padTo(m->H[l], kPad);
    if (l == 0) m->hidden[0].Hpad = Hpad, m->hidden[0].H = m->H[0];  // F replaces layer 0's weights
    else m->hidden[l] = cpuDense(file.hidden[l].dense, Hpad, m->hidden[l - 1].Hpad);
    m->rq[l].m.assign(Hpad, 0);
    std::copy(file.hidden[l].M.begin(), file.hidden[l].M.end(), m->rq[l].m.begin());
    m->rq[l].s = file.hidden[l].S;
  }
  m->out = cpuDense(file.out, padTo(m->A, kPad), m->hidden[m->L - 1].Hpad);
  m->mOut = file.mOut;
  m->sOut = file.sOut;
  m->exp = file.exp;

  const DenseTensors& layer0 = file.hidden[0].dense;
  const int8_t* emb = file.emb.data();
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
        const int8_t* w = layer0.W.data() + static_cast<size_t>(h) * n0 + static_cast<size_t>(j) * m->E;
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
  return m;
}

std::shared_ptr<const Model> parseModel(const uint8_t* data, size_t len) { return buildCpuModel(parseModelFile(data, len)); }

}  // namespace nnc
