// Float32 trainer for the nnc predictor (docs/FORMAT.md section 2 is the
// integer network it is later exported to):
//   ctx[j] = token of byte i-1-j (PAD = A before the lane start, ESC = A-1
//   for bytes outside the alphabet), x = concat_j emb[ctx[j]] (k*E),
//   h_{l+1} = ReLU(W_l h_l + b_l) for L hidden layers, logits = Wo h_L + bo
//   over the A symbols, softmax cross-entropy with the next byte's symbol.
//
// The training recipe is the paper's (Qin & Sun, "Model Compression for Data
// Compression"): Adam, then a growing group-lasso term (eq. 5, a constant
// prefactor per structure) with two groups per hidden node (incoming weights
// + bias, outgoing weights) and one per embedding dimension, and structural
// pruning of every node whose group RMS falls under a threshold.
//
// Determinism: a batch is split into micro-batches; in each, the rows are
// split over threads for the forward and backward-data passes, and the
// weight gradients are split over output rows (so no cross-thread sums).
// Every GEMM element is one fma chain in a fixed order (sgemm.h) and every
// other reduction runs in a fixed order, so the model after an epoch is a
// function of (config, seed, data) only: identical for any thread count and
// any SIMD level on one machine (libm's log/cos enter only the init).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../core/cpu_features.h"
#include "rng.h"
#include "sgemm.h"
#include "thread_pool.h"

namespace nnc {
namespace train {

constexpr int kMaxLayers = 4;

struct TrainConfig {
  int k = 16, E = 16;
  std::vector<int> hidden = {512, 512};
  std::vector<uint8_t> alphabet;  // A-1 byte values, strictly increasing; A = size + 1
  uint64_t seed = 1;
  int threads = 0;  // 0: one per hardware thread
  double lr = 0.002, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  int batch = 8192;
  int microBatch = 2048;  // rows per forward/backward pass: bounds scratch memory
  int laneSize = 65536;
  Simd simd = Simd::Auto;
};

// ERR_NNC_INVALID_ARG naming the first field out of range.
void validateConfig(const TrainConfig& c);

struct Arch {
  int k = 0, E = 0, A = 0;
  std::vector<int> H;
  int L() const { return static_cast<int>(H.size()); }
  int nIn(int l) const { return l == 0 ? k * E : H[l - 1]; }
  int nOut(int l) const { return l + 1 < L() ? H[l + 1] : A; }  // width of the layer after hidden l
};

// Offsets (in floats) of every tensor in the flat parameter vector.
struct Layout {
  size_t emb = 0, W[kMaxLayers] = {}, b[kMaxLayers] = {}, Wo = 0, bo = 0, total = 0;
  static Layout of(const Arch& a);
};

// Thrown by evaluate() and activationStats() when their cancel flag turns true.
struct Cancelled : std::exception {
  const char* what() const noexcept override { return "cancelled"; }
};

struct EpochOptions {
  double lasso = 0;        // alpha for hidden-node groups
  double lassoEmbed = -1;  // alpha for embedding-dimension groups; < 0: same as lasso
  uint64_t maxSamples = 0; // 0: every training position
};

struct EpochResult {
  double bits = 0;  // mean bits per byte over the samples trained on (before each update)
  uint64_t samples = 0;
  double seconds = 0;
  bool cancelled = false;
};

// (samplesDone, samplesTotal, runningBits); called after every batch on the training thread.
using ProgressFn = std::function<void(uint64_t, uint64_t, double)>;

struct GroupRms {
  std::vector<std::vector<float>> in, out;  // per hidden layer, per node
  std::vector<float> embed;                 // per embedding dimension
};

struct PruneResult {
  std::vector<int> removed;  // per hidden layer
  int embedRemoved = 0;
  std::vector<int> hidden;  // widths after
  int E = 0;
};

struct ActivationStats {
  struct Layer {
    // Over every activation value of the layer (zeros included):
    float max = 0, p99 = 0, p999 = 0, p9999 = 0, p99999 = 0;  // percentiles: 2^-8 relative resolution
    double mean = 0, zeroFraction = 0;
  };
  std::vector<Layer> layers;
  uint64_t samples = 0;
  float embedMaxAbs = 0;
};

// Quantization-aware forward: weights rounded to int8 (|q| <= 127) with
// per-row or per-tensor scales, activations to u8 (0..255) with per-layer
// scales, biases to the int32 grid scaleIn * scaleRow; straight-through
// gradients (zero where an activation clamps at 255).
struct FakeQuant {
  float embedScale = 0;                      // 0: dynamic, max|emb| / 127
  std::vector<float> actScale;               // L entries, > 0
  std::vector<std::vector<float>> weightScale;  // L + 1 entries (hidden layers, then output):
                                                // {} dynamic per row, {s} per tensor, H values per row
};

struct FloatModel {
  Arch arch;
  std::vector<uint8_t> alphabet;
  std::vector<float> emb;                 // (A+1) x E
  std::vector<std::vector<float>> W, b;   // per hidden layer: H x nIn, H
  std::vector<float> Wo, bo;              // A x H[L-1], A
};

// The training and validation bytes, built once by setData and read-only
// after: trainers made by clone() share them, so a fork of a session costs
// its weights, never another copy of the data.
struct TrainingData {
  struct Set {
    std::vector<std::vector<uint8_t>> segs;
    std::vector<uint64_t> start;  // prefix sums, size segs + 1
    uint64_t total = 0;
  };
  Set train, valid;
};

// What checkpoint() writes, held in memory: a trainer given it by
// restoreSnapshot continues exactly as one restored from the checkpoint
// bytes (same weights, Adam moments, step, epoch, RNG and fake-quant
// settings), without the serialisation and without touching the data.
struct Snapshot {
  TrainConfig config;  // hyper-parameters and architecture; threads and simd stay the restoring trainer's
  std::vector<float> theta, m, v;
  uint64_t step = 0, epoch = 0;
  Rng rng;
  bool fakeQuant = false;
  FakeQuant fq;
  size_t bytes() const { return (theta.size() + m.size() + v.size()) * sizeof(float); }
};

class Trainer {
 public:
  explicit Trainer(const TrainConfig& config);
  ~Trainer();

  // Copies the segments (into a new TrainingData: clones made before keep
  // theirs). Every byte of every training segment is one sample.
  void setData(const std::vector<std::pair<const uint8_t*, size_t>>& train,
               const std::vector<std::pair<const uint8_t*, size_t>>& valid);
  uint64_t trainSize() const { return data_->train.total; }
  uint64_t validSize() const { return data_->valid.total; }
  const std::shared_ptr<const TrainingData>& data() const { return data_; }

  // One pass over a shuffled (seeded) order of the training positions, or
  // its first maxSamples. Stops after the current batch when *cancel turns
  // true: every finished batch is applied, nothing half-applied.
  EpochResult trainEpoch(const EpochOptions& o, const ProgressFn& progress = nullptr,
                         const std::atomic<bool>* cancel = nullptr);

  // Mean bits per byte (ESC-coded bytes add 8 raw bits) on maxSamples evenly
  // spaced positions (0: all).
  double evaluate(bool valid, uint64_t maxSamples = 0, const std::atomic<bool>* cancel = nullptr);

  GroupRms groupRms() const;
  // Removes every hidden node whose in- or out-group RMS < threshold and
  // every embedding dimension whose group RMS < threshold (each layer keeps
  // at least its strongest node, the embedding at least one dimension).
  PruneResult prune(double threshold);
  // Removes the listed nodes / dimensions (sorted or not, no duplicates).
  // A removed node's constant output ReLU(b) is folded into the next layer's
  // bias, so a node whose incoming weights are all zero, or whose outgoing
  // weights are all zero, leaves the function unchanged. Clears fake-quant.
  void removeUnits(const std::vector<std::vector<int>>& nodes, const std::vector<int>& embedDims);

  std::vector<uint8_t> checkpoint() const;
  // The state checkpoint() writes, in memory; restoreSnapshot puts it back
  // (architecture included: a snapshot taken before a prune undoes it) and
  // keeps this trainer's data, thread pool and SIMD level.
  Snapshot snapshot() const;
  void restoreSnapshot(const Snapshot& s);
  // An independent trainer in this one's state, sharing its data (threads
  // 0: the configured count). The same as checkpoint() -> restore() ->
  // setData(the same bytes), without the copies.
  std::unique_ptr<Trainer> clone(int threads = 0) const;
  // Validates everything (ERR_NNC_CORRUPT / ERR_NNC_UNSUPPORTED) before allocating.
  static std::unique_ptr<Trainer> restore(const uint8_t* data, size_t size, int threads = 0,
                                          Simd simd = Simd::Auto);

  ActivationStats activationStats(bool valid, uint64_t maxSamples, const std::atomic<bool>* cancel = nullptr);
  void setFakeQuant(const FakeQuant* fq);  // nullptr: plain float forward
  bool fakeQuantEnabled() const { return fqOn_; }
  const FakeQuant& fakeQuant() const { return fq_; }
  FloatModel exportFloat() const;

  // Hyper-parameters that may change between epochs (validated like the config).
  void setOptimizer(double lr, double beta1, double beta2, double eps, int batch);

  const TrainConfig& config() const { return cfg_; }
  const Arch& arch() const { return arch_; }
  const Layout& layout() const { return lay_; }
  uint64_t step() const { return step_; }
  uint64_t epoch() const { return epoch_; }
  int threads() const { return pool_->size(); }
  const char* simdName() const { return gemm_->name; }
  size_t paramCount() const { return lay_.total; }

  // ---- for tests and the bench ----
  std::vector<float>& params() { return theta_; }
  const std::vector<float>& gradient() const { return grad_; }
  // Loss (mean cross-entropy in nats + lasso penalty) and its gradient into
  // gradient(), on the given sample indices of one data set; no update.
  double lossAndGradient(bool valid, const std::vector<uint64_t>& idx, double lasso, double lassoEmbed);
  // Logits (n x A) for the given sample indices.
  std::vector<float> logits(bool valid, const std::vector<uint64_t>& idx);
  // Sample index -> (segment, position) of a data set; for tests.
  void locate(bool valid, uint64_t idx, size_t* seg, size_t* pos) const;
  // GEMM seconds/flops of the last batches (bench): reset with resetTiming().
  struct Timing { double gemmSeconds = 0, gemmFlops = 0, phase1Seconds = 0, phase2Seconds = 0, updateSeconds = 0; };
  const Timing& timing() const { return timing_; }
  void resetTiming() { timing_ = Timing(); }

 private:
  using DataSet = TrainingData::Set;
  struct Scratch;

  Trainer(const TrainConfig& config, bool init);
  void initWeights();
  void buildTokenTable();
  void ensureScratch(int rows);
  void refreshFakeQuantWeights();
  // Forward (and backward) of rows [0, n) whose sample indices are idx[0..n).
  // invB > 0: training pass, accumulates into grad_ scaled by invB.
  // Returns the sum of the rows' bits.
  double pass(const DataSet& ds, const uint64_t* idx, int n, double invB);
  void phase1(const DataSet& ds, const uint64_t* idx, int r0, int r1, bool train, double invB, int t);
  void phase2(int n, int t);
  double addLasso(double alpha, double alphaEmbed, bool addGrad);
  void adamStep();
  // The i-th of n evenly spaced sample indices of a set of `total` positions.
  static uint64_t spaced(uint64_t i, uint64_t total, uint64_t n);
  const float* weightsFor(int l) const;  // l == L: output layer
  const float* embedFor() const;

  TrainConfig cfg_;
  Arch arch_;
  Layout lay_;
  std::unique_ptr<ThreadPool> pool_;
  const SgemmKernel* gemm_ = nullptr;
  uint16_t tokenOf_[256] = {};
  bool inAlphabet_[256] = {};
  std::vector<float> theta_, m_, v_, grad_;
  uint64_t step_ = 0, epoch_ = 0;
  Rng rng_;
  std::shared_ptr<const TrainingData> data_;  // never null (empty sets before setData)
  std::unique_ptr<Scratch> s_;
  bool fqOn_ = false;
  FakeQuant fq_;
  std::vector<float> thetaQ_;  // fake-quant copy of the weights used by the forward
  Timing timing_;
};

}  // namespace train
}  // namespace nnc
