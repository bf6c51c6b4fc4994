// Archive walk and end records (docs/FORMAT.md section 4.2). Mirrors
// src/format/archive.ts step for step, so both report the same code.
#include "archive.h"

#include <cstring>
#include <string>

#include "bytes.h"
#include "errors.h"
#include "xxhash64.h"

namespace nnc {
namespace {

const uint8_t kEndMagic[4] = {0x89, 'N', 'N', 'E'};

[[noreturn]] void incomplete(size_t at, const std::string& what) {
  fail(Code::Truncated, "archive is incomplete: " + what + " (byte " + std::to_string(at) +
                            "); the file was cut short, or frames were lost, duplicated or reordered — recover the "
                            "complete file");
}

struct Totals {
  uint64_t frames, contentSize, framesHash;
};

Totals parseEndRecord(const uint8_t* p, size_t at) {
  if (xxh64(p, 32) != rd64(p + 32))
    fail(Code::Corrupt, "the end record at byte " + std::to_string(at) + " fails its check: the archive is damaged");
  if (p[4] != kEndVersion)
    fail(Code::Unsupported, "archive end record version " + std::to_string(p[4]) + " is not supported; upgrade nnc-native");
  if (p[5] || p[6] || p[7])
    fail(Code::Unsupported, "archive end record has reserved bytes set; this archive needs a newer nnc-native");
  return {rd64(p + 8), rd64(p + 16), rd64(p + 24)};
}

}  // namespace

void ArchiveTally::add(uint32_t N, uint64_t checksum) {
  uint8_t step[24];
  wr64(step, framesHash);
  wr64(step + 8, N);
  wr64(step + 16, checksum);
  framesHash = xxh64(step, sizeof step);
  frames += 1;
  contentSize += N;
}

void ArchiveTally::addFrame(const std::vector<uint8_t>& frame) {
  const FrameHeader h = parseFrameHeader(frame.data(), frame.size(), true);
  add(h.N, frameChecksum(frame.data(), h));
}

std::vector<uint8_t> ArchiveTally::endRecord() const {
  std::vector<uint8_t> out(kEndRecordSize, 0);
  std::memcpy(out.data(), kEndMagic, 4);
  out[4] = kEndVersion;
  wr64(out.data() + 8, frames);
  wr64(out.data() + 16, contentSize);
  wr64(out.data() + 24, framesHash);
  wr64(out.data() + 32, xxh64(out.data(), 32));
  return out;
}

void walkArchive(const uint8_t* data, size_t len, const std::function<void(size_t, const FrameHeader&)>& frame) {
  if (len == 0) fail(Code::Truncated, "archive is empty: an .nnc archive holds at least one frame");
  bool open = false;  // a version-2 archive whose end record is still due
  size_t openAt = 0;
  ArchiveTally tally;
  for (size_t p = 0; p < len;) {
    const size_t avail = len - p, n = avail < 4 ? avail : 4;
    const bool isFrame = std::memcmp(data + p, kFrameMagic, n) == 0;
    const bool isEnd = std::memcmp(data + p, kEndMagic, n) == 0;
    if (!isFrame && !isEnd)
      fail(Code::Corrupt, "bad magic at byte " + std::to_string(p) + ": the data is not an nnc archive or is damaged");
    if (n == 4 && isEnd) {
      if (avail < kEndRecordSize)
        incomplete(p, "the end record is cut short (" + std::to_string(avail) + " of 40 bytes)");
      const Totals t = parseEndRecord(data + p, p);
      if (!open) fail(Code::Corrupt, "an end record at byte " + std::to_string(p) + " follows no frames of its archive: the archive is damaged");
      if (t.frames != tally.frames || t.contentSize != tally.contentSize || t.framesHash != tally.framesHash)
        incomplete(p, "its end record lists " + std::to_string(t.frames) + " frames and " + std::to_string(t.contentSize) +
                          " content bytes, but the archive that started at byte " + std::to_string(openAt) + " holds " +
                          std::to_string(tally.frames) + " frames and " + std::to_string(tally.contentSize) + " bytes");
      open = false;
      p += kEndRecordSize;
      continue;
    }
    // A frame (or fewer than 4 bytes that could start one): parseFrameHeader
    // reports a cut header or frame as TRUNCATED.
    const FrameHeader h = parseFrameHeader(data + p, avail, false);
    if (h.version == kLegacyFrameVersion && open)
      incomplete(p, "a version-1 frame follows the archive that started at byte " + std::to_string(openAt) +
                        " before its end record");
    parseFrameHeader(data + p, avail, true);
    if (h.version == kFrameVersion && !open) {
      open = true;
      openAt = p;
      tally = ArchiveTally();
    }
    if (open) tally.add(h.N, frameChecksum(data + p, h));
    frame(p, h);
    p += h.frameSize;
  }
  if (open)
    incomplete(len, "the archive that started at byte " + std::to_string(openAt) + " ends after " +
                        std::to_string(tally.frames) + " frames without its end record");
}

std::vector<size_t> splitArchive(const uint8_t* data, size_t len) {
  std::vector<size_t> starts;
  walkArchive(data, len, [&](size_t p, const FrameHeader&) { starts.push_back(p); });
  return starts;
}

}  // namespace nnc
