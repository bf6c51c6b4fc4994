// Stable error codes shared by the core, the tests and the Node addon.
// The code string is the contract (scripts and the TS facade switch on it);
// the message is for people and says what to do next. The strings match
// src/errors.ts and docs/FORMAT.md section 4.3.
#pragma once

#include <exception>
#include <string>

namespace nnc {

enum class Code {
  Truncated,
  Corrupt,
  Checksum,
  Unsupported,
  ModelMismatch,
  BadModel,
  InvalidArg,
  Aborted,  // the caller cancelled the job (AbortSignal); Node's ABORT_ERR
  Internal,
};

inline const char* codeString(Code c) {
  switch (c) {
    case Code::Truncated: return "ERR_NNC_TRUNCATED";
    case Code::Corrupt: return "ERR_NNC_CORRUPT";
    case Code::Checksum: return "ERR_NNC_CHECKSUM";
    case Code::Unsupported: return "ERR_NNC_UNSUPPORTED";
    case Code::ModelMismatch: return "ERR_NNC_MODEL_MISMATCH";
    case Code::BadModel: return "ERR_NNC_BAD_MODEL";
    case Code::InvalidArg: return "ERR_NNC_INVALID_ARG";
    case Code::Aborted: return "ABORT_ERR";
    case Code::Internal: return "ERR_NNC_INTERNAL";
  }
  return "ERR_NNC_INTERNAL";
}

// The one exception type the core throws. Everything else that escapes
// (std::bad_alloc, ...) is mapped to ERR_NNC_INTERNAL at the boundary.
class Error : public std::exception {
 public:
  Error(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  Code code_;
  std::string message_;
};

[[noreturn]] inline void fail(Code code, std::string message) { throw Error(code, std::move(message)); }

}  // namespace nnc
