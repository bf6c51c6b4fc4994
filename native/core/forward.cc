#include "forward.h"

namespace nnc {

static const uint32_t* thr(const Requant& q) { return q.thr.empty() ? nullptr : q.thr.data(); }

Forward::Forward(const Model& m, const Kernels& k) : m_(m), k_(k) {
  const size_t w = static_cast<size_t>(m.maxPad());
  acc_.assign(kMaxBatch * w, 0);
  x0_.assign(kMaxBatch * w, 0);
  x1_.assign(kMaxBatch * w, 0);
  scratch_.assign(kMaxBatch * w, 0);
}

int32_t* Forward::logits(const uint16_t* ctx, int P) {
  const Model& m = m_;
  if (m.F16.empty())
    k_.layer0(m.F.data(), m.k, m.A + 1, m.H0pad, ctx, P, acc_.data());
  else
    k_.layer0w(m.F16.data(), m.b0.data(), m.k, m.A + 1, m.H0pad, ctx, P, acc_.data());
  k_.requant(acc_.data(), P, m.H0pad, m.rq[0].m.data(), thr(m.rq[0]), m.rq[0].s, x0_.data());
  uint8_t* cur = x0_.data();
  uint8_t* nxt = x1_.data();
  for (int l = 1; l < m.L; ++l) {
    const DenseLayer& d = m.hidden[l];
    k_.gemm(d, cur, P, acc_.data(), scratch_.data());
    k_.requant(acc_.data(), P, d.Hpad, m.rq[l].m.data(), thr(m.rq[l]), m.rq[l].s, nxt);
    std::swap(cur, nxt);
  }
  k_.gemm(m.out, cur, P, acc_.data(), scratch_.data());
  return acc_.data();
}

void Forward::frequencies(const int32_t* z, int P, uint32_t* f) {
  const Model& m = m_;
  const OutParams o = {m.A, m.mOut, m.sOut, m.exp.data(), m.T, m.dThr};
  k_.freqs(z, P, ldz(), o, f);
}

}  // namespace nnc
