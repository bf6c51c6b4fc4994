// Frame method 2 ("mixed", docs/FORMAT.md section 5): the payload coder.
// The container around it (header, stored fallback, checksum, the model
// check) is frame.cc's, shared with method 1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../container.h"
#include "../kernels.h"
#include "../model.h"
#include "../parallel.h"
#include "params.h"

namespace nnc {

// The payload (parameter block, lane table, lane streams) of content[0..len)
// in lanes of laneSize, coded with the stage `p` asks for (p valid).
std::vector<uint8_t> encodeMixedPayload(const Model& m, const Kernels& kern, const uint8_t* content, size_t len,
                                        uint32_t laneSize, const MixParams& p, int nThreads, const CancelFlag* cancel);

// Decode the payload of the method-2 frame whose header is h (checked by
// parseFrameHeader) and whose parameter block `p` was parsed; `m` is the
// frame's model, or null when p does not use the network. Throws
// ERR_NNC_CORRUPT for a bad lane table or lane stream.
std::vector<uint8_t> decodeMixedPayload(const Model* m, const Kernels& kern, const FrameHeader& h,
                                        const uint8_t* payload, const MixParams& p, int nThreads,
                                        const CancelFlag* cancel);

}  // namespace nnc
