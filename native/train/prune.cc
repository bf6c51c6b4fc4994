// Group lasso (the paper's eq. 5 with a constant prefactor per structure)
// and structural pruning.
//
// Groups, for hidden layer l with input width n_l and node h:
//   in(l, h)  = { W_l[h, :], b_l[h] }                    |g| = n_l + 1
//   out(l, h) = { W_{l+1}[:, h] }  (Wo[:, h] for l = L-1) |g| = H[l+1] or A
// and for embedding dimension e:
//   embed(e)  = { emb[:, e] } + { W_0[:, j*E + e] for every j }   |g| = (A+1) + k*H[0]
// Penalty: alpha * sum over node groups of ||g||_2 + alphaEmbed * sum over
// embedding groups; its subgradient alpha * w / ||g|| (0 when ||g|| = 0) is
// added to the loss gradient before Adam. RMS = ||g||_2 / sqrt(|g|) is the
// paper's S_g, compared with the pruning threshold (1e-3 in the paper).
#include <algorithm>
#include <cmath>
#include <string>

#include "../core/errors.h"
#include "scratch.h"
#include "trainer.h"

namespace nnc {
namespace train {

namespace {

struct Norms {
  std::vector<std::vector<double>> in, out;
  std::vector<double> emb;
};

// Sums of squares in double, rows and columns in index order.
Norms groupNorms(const Arch& a, const Layout& y, const float* p) {
  Norms n;
  const int L = a.L(), E = a.E, k = a.k;
  n.in.resize(L);
  n.out.resize(L);
  for (int l = 0; l < L; ++l) {
    const int H = a.H[l], nIn = a.nIn(l);
    n.in[l].assign(H, 0.0);
    for (int h = 0; h < H; ++h) {
      const float* w = p + y.W[l] + size_t(h) * nIn;
      double s = 0;
      for (int i = 0; i < nIn; ++i) s += double(w[i]) * w[i];
      const double b = p[y.b[l] + h];
      n.in[l][h] = std::sqrt(s + b * b);
    }
    // Outgoing: column h of the next layer's weights.
    const int rows = a.nOut(l);
    const float* next = p + (l + 1 < L ? y.W[l + 1] : y.Wo);
    std::vector<double> sq(H, 0.0);
    for (int r = 0; r < rows; ++r)
      for (int h = 0; h < H; ++h) sq[h] += double(next[size_t(r) * H + h]) * next[size_t(r) * H + h];
    n.out[l].resize(H);
    for (int h = 0; h < H; ++h) n.out[l][h] = std::sqrt(sq[h]);
  }
  std::vector<double> sq(E, 0.0);
  for (int t = 0; t <= a.A; ++t)
    for (int e = 0; e < E; ++e) sq[e] += double(p[y.emb + size_t(t) * E + e]) * p[y.emb + size_t(t) * E + e];
  const int kE = k * E;
  for (int h = 0; h < a.H[0]; ++h) {
    const float* w = p + y.W[0] + size_t(h) * kE;
    for (int j = 0; j < k; ++j)
      for (int e = 0; e < E; ++e) sq[e] += double(w[j * E + e]) * w[j * E + e];
  }
  n.emb.resize(E);
  for (int e = 0; e < E; ++e) n.emb[e] = std::sqrt(sq[e]);
  return n;
}

inline float factor(double alpha, double norm) { return (alpha > 0 && norm > 0) ? float(alpha / norm) : 0.f; }

}  // namespace

double Trainer::addLasso(double alpha, double alphaEmbed, bool addGrad) {
  if (!(alpha > 0) && !(alphaEmbed > 0)) return 0;
  const Arch& a = arch_;
  const Norms n = groupNorms(a, lay_, theta_.data());
  const int L = a.L(), E = a.E;
  double penalty = 0;
  for (int l = 0; l < L; ++l)
    for (int h = 0; h < a.H[l]; ++h) penalty += alpha * (n.in[l][h] + n.out[l][h]);
  for (int e = 0; e < E; ++e) penalty += alphaEmbed * n.emb[e];
  if (!addGrad) return penalty;

  const float* p = theta_.data();
  float* g = grad_.data();
  std::vector<float> col;
  for (int l = 0; l < L; ++l) {
    const int H = a.H[l], nIn = a.nIn(l);
    // Column factors: the out-group of the previous layer's node, or the
    // embedding group of the input's dimension.
    col.assign(nIn, 0.f);
    for (int i = 0; i < nIn; ++i) col[i] = l == 0 ? factor(alphaEmbed, n.emb[i % E]) : factor(alpha, n.out[l - 1][i]);
    for (int h = 0; h < H; ++h) {
      const float rf = factor(alpha, n.in[l][h]);
      const size_t o = lay_.W[l] + size_t(h) * nIn;
      for (int i = 0; i < nIn; ++i) g[o + i] += (rf + col[i]) * p[o + i];
      g[lay_.b[l] + h] += rf * p[lay_.b[l] + h];
    }
  }
  const int HL = a.H[L - 1];
  col.assign(HL, 0.f);
  for (int h = 0; h < HL; ++h) col[h] = factor(alpha, n.out[L - 1][h]);
  for (int s = 0; s < a.A; ++s)
    for (int h = 0; h < HL; ++h) g[lay_.Wo + size_t(s) * HL + h] += col[h] * p[lay_.Wo + size_t(s) * HL + h];
  for (int e = 0; e < E; ++e) {
    const float f = factor(alphaEmbed, n.emb[e]);
    for (int t = 0; t <= a.A; ++t) g[lay_.emb + size_t(t) * E + e] += f * p[lay_.emb + size_t(t) * E + e];
  }
  return penalty;
}

GroupRms Trainer::groupRms() const {
  const Arch& a = arch_;
  const Norms n = groupNorms(a, lay_, theta_.data());
  GroupRms r;
  r.in.resize(a.L());
  r.out.resize(a.L());
  for (int l = 0; l < a.L(); ++l) {
    const double si = std::sqrt(double(a.nIn(l) + 1)), so = std::sqrt(double(a.nOut(l)));
    for (int h = 0; h < a.H[l]; ++h) {
      r.in[l].push_back(float(n.in[l][h] / si));
      r.out[l].push_back(float(n.out[l][h] / so));
    }
  }
  const double se = std::sqrt(double(a.A + 1) + double(a.k) * a.H[0]);
  for (int e = 0; e < a.E; ++e) r.embed.push_back(float(n.emb[e] / se));
  return r;
}

PruneResult Trainer::prune(double threshold) {
  if (!std::isfinite(threshold) || threshold < 0)
    fail(Code::InvalidArg, "Expected a finite number >= 0 for threshold");
  const GroupRms r = groupRms();
  const Arch& a = arch_;
  std::vector<std::vector<int>> nodes(a.L());
  for (int l = 0; l < a.L(); ++l) {
    int best = 0;
    float bestScore = -1;
    for (int h = 0; h < a.H[l]; ++h) {
      const float score = std::min(r.in[l][h], r.out[l][h]);
      if (score < threshold) nodes[l].push_back(h);
      if (score > bestScore) bestScore = score, best = h;
    }
    // A layer keeps its strongest node (the format needs H >= 1).
    if (static_cast<int>(nodes[l].size()) == a.H[l]) nodes[l].erase(std::find(nodes[l].begin(), nodes[l].end(), best));
  }
  std::vector<int> dims;
  int bestE = 0;
  for (int e = 0; e < a.E; ++e) {
    if (r.embed[e] < threshold) dims.push_back(e);
    if (r.embed[e] > r.embed[bestE]) bestE = e;
  }
  if (static_cast<int>(dims.size()) == a.E) dims.erase(std::find(dims.begin(), dims.end(), bestE));
  PruneResult out;
  for (const auto& v : nodes) out.removed.push_back(static_cast<int>(v.size()));
  out.embedRemoved = static_cast<int>(dims.size());
  removeUnits(nodes, dims);
  out.hidden = arch_.H;
  out.E = arch_.E;
  return out;
}

void Trainer::removeUnits(const std::vector<std::vector<int>>& nodes, const std::vector<int>& embedDims) {
  const Arch& a = arch_;
  const int L = a.L();
  if (static_cast<int>(nodes.size()) != L)
    fail(Code::InvalidArg, "Expected " + std::to_string(L) + " node lists but received " + std::to_string(nodes.size()));
  // keep[l][h] / keepE[e], validated before anything changes.
  std::vector<std::vector<char>> dead(L);
  for (int l = 0; l < L; ++l) {
    dead[l].assign(a.H[l], 0);
    for (int h : nodes[l]) {
      if (h < 0 || h >= a.H[l] || dead[l][h])
        fail(Code::InvalidArg, "node " + std::to_string(h) + " of layer " + std::to_string(l) + " is out of range or repeated");
      dead[l][h] = 1;
    }
    if (static_cast<int>(nodes[l].size()) >= a.H[l])
      fail(Code::InvalidArg, "layer " + std::to_string(l) + " must keep at least one node");
  }
  std::vector<char> deadE(a.E, 0);
  for (int e : embedDims) {
    if (e < 0 || e >= a.E || deadE[e]) fail(Code::InvalidArg, "embedding dimension " + std::to_string(e) + " is out of range or repeated");
    deadE[e] = 1;
  }
  if (static_cast<int>(embedDims.size()) >= a.E) fail(Code::InvalidArg, "the embedding must keep at least one dimension");

  std::vector<std::vector<int>> keep(L);
  for (int l = 0; l < L; ++l)
    for (int h = 0; h < a.H[l]; ++h)
      if (!dead[l][h]) keep[l].push_back(h);
  std::vector<int> keepE;
  for (int e = 0; e < a.E; ++e)
    if (!deadE[e]) keepE.push_back(e);

  // Fold each removed node's constant part ReLU(b) into the next layer's
  // bias, layer by layer upwards (a fold into layer l+1 is seen by its own
  // removed nodes).
  float* p = theta_.data();
  for (int l = 0; l < L; ++l) {
    const int H = a.H[l], rows = a.nOut(l);
    float* next = p + (l + 1 < L ? lay_.W[l + 1] : lay_.Wo);
    float* nb = p + (l + 1 < L ? lay_.b[l + 1] : lay_.bo);
    for (int h = 0; h < H; ++h) {
      if (!dead[l][h]) continue;
      const float c = p[lay_.b[l] + h] > 0.f ? p[lay_.b[l] + h] : 0.f;
      if (c == 0.f) continue;
      for (int r = 0; r < rows; ++r) nb[r] += c * next[size_t(r) * H + h];
    }
  }

  Arch na = a;
  na.E = static_cast<int>(keepE.size());
  for (int l = 0; l < L; ++l) na.H[l] = static_cast<int>(keep[l].size());
  const Layout ny = Layout::of(na);
  auto slice = [&](const std::vector<float>& src) {
    std::vector<float> dst(ny.total);
    for (int t = 0; t <= a.A; ++t)
      for (int e = 0; e < na.E; ++e) dst[ny.emb + size_t(t) * na.E + e] = src[lay_.emb + size_t(t) * a.E + keepE[e]];
    for (int l = 0; l < L; ++l) {
      const int nIn = a.nIn(l), nInNew = na.nIn(l);
      for (int hi = 0; hi < na.H[l]; ++hi) {
        const int h = keep[l][hi];
        const float* s = src.data() + lay_.W[l] + size_t(h) * nIn;
        float* d = dst.data() + ny.W[l] + size_t(hi) * nInNew;
        if (l == 0) {
          for (int j = 0; j < a.k; ++j)
            for (int e = 0; e < na.E; ++e) d[j * na.E + e] = s[j * a.E + keepE[e]];
        } else {
          for (int i = 0; i < nInNew; ++i) d[i] = s[keep[l - 1][i]];
        }
        dst[ny.b[l] + hi] = src[lay_.b[l] + h];
      }
    }
    const int HL = a.H[L - 1], HLn = na.H[L - 1];
    for (int s = 0; s < a.A; ++s) {
      for (int i = 0; i < HLn; ++i) dst[ny.Wo + size_t(s) * HLn + i] = src[lay_.Wo + size_t(s) * HL + keep[L - 1][i]];
      dst[ny.bo + s] = src[lay_.bo + s];
    }
    return dst;
  };
  std::vector<float> t2 = slice(theta_), m2 = slice(m_), v2 = slice(v_);
  theta_.swap(t2);
  m_.swap(m2);
  v_.swap(v2);
  grad_.assign(ny.total, 0.f);
  arch_ = na;
  lay_ = ny;
  cfg_.E = na.E;
  cfg_.hidden = na.H;
  s_.reset();
  fqOn_ = false;
  fq_ = FakeQuant();
  thetaQ_.clear();
}

}  // namespace train
}  // namespace nnc
