// The trainer binding's own argument readers, beside the shared ones
// (args.h): the Trainer's options, training data, sample counts, 'train' or
// 'valid', and lists of floats. Same message format, ERR_NNC_INVALID_ARG.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../train/trainer.h"
#include "args.h"

namespace nnc_addon {
namespace trainer {

// maxSamples: a non-negative safe integer (0 = all).
uint64_t countArg(const Napi::Value& v, const std::string& name);
// An array of Uint8Array, read in place; undefined or null is none.
std::vector<Bytes> segmentsArg(const Napi::Value& v, const std::string& name);
// An array of numbers (at most 65536) or a Float32Array.
std::vector<float> floatsArg(const Napi::Value& v, const std::string& name);
// 'train' (or undefined) -> false, 'valid' -> true.
bool whichArg(const Napi::Value& v);
// new Trainer(options): every key checked, then validateConfig.
nnc::train::TrainConfig configArg(const Napi::Value& v);

}  // namespace trainer
}  // namespace nnc_addon
