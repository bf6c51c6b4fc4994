# node-gyp build of the cpu engine: build/Release/nnc.node (loaded with
# node-gyp-build from the package root). The core is plain x86-64; each
# instruction-set kernel file is its own static library with its own flags,
# and the right one is picked at run time (native/core/cpu_features.cc).
{
  'variables': {
    'nnc_x86%': '<!(node -p "[\'x64\', \'ia32\'].includes(process.arch) ? 1 : 0")',
  },
  'target_defaults': {
    'cflags_cc': ['-std=c++17', '-O3', '-fexceptions'],
    'cflags_cc!': ['-fno-exceptions', '-fno-rtti'],
    'cflags!': ['-fno-exceptions'],
    'defines': ['NAPI_VERSION=8', 'NAPI_CPP_EXCEPTIONS', 'NODE_ADDON_API_DISABLE_DEPRECATED'],
    'xcode_settings': {
      'GCC_ENABLE_CPP_EXCEPTIONS': 'YES',
      'CLANG_CXX_LANGUAGE_STANDARD': 'c++17',
      'GCC_OPTIMIZATION_LEVEL': '3',
      'MACOSX_DEPLOYMENT_TARGET': '10.15',
    },
    'msvs_settings': {
      'VCCLCompilerTool': { 'ExceptionHandling': 1, 'AdditionalOptions': ['/std:c++17'], 'Optimization': 2 },
    },
  },
  'targets': [
    {
      'target_name': 'nnc_avx2',
      'type': 'static_library',
      'sources': ['native/core/kernels_avx2.cc', 'native/core/mix/mixer_avx2.cc'],
      'conditions': [
        ['nnc_x86==1', {
          'cflags_cc': ['-mavx2', '-mfma'],
          'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['-mavx2', '-mfma'] },
          'msvs_settings': { 'VCCLCompilerTool': { 'EnableEnhancedInstructionSet': 5 } },
        }],
      ],
    },
    {
      'target_name': 'nnc_avx512',
      'type': 'static_library',
      'sources': ['native/core/kernels_avx512.cc'],
      'conditions': [
        ['nnc_x86==1', {
          # GCC 12 warns about its own _mm512_undefined_* helpers; harmless.
          'cflags_cc': ['-mavx512f', '-mavx512bw', '-mavx512vl', '-mavx512vnni', '-Wno-uninitialized', '-Wno-maybe-uninitialized'],
          'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['-mavx512f', '-mavx512bw', '-mavx512vl', '-mavx512vnni'] },
          'msvs_settings': { 'VCCLCompilerTool': { 'AdditionalOptions': ['/arch:AVX512'] } },
        }],
      ],
    },
    {
      # The trainer's float GEMM micro-kernels (native/train/sgemm_*.cc).
      'target_name': 'nnc_train_avx2',
      'type': 'static_library',
      'sources': ['native/train/sgemm_avx2.cc'],
      'conditions': [
        ['nnc_x86==1', {
          'cflags_cc': ['-mavx2', '-mfma'],
          'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['-mavx2', '-mfma'] },
          'msvs_settings': { 'VCCLCompilerTool': { 'EnableEnhancedInstructionSet': 5 } },
        }],
      ],
    },
    {
      'target_name': 'nnc_train_avx512',
      'type': 'static_library',
      'sources': ['native/train/sgemm_avx512.cc'],
      'conditions': [
        ['nnc_x86==1', {
          'cflags_cc': ['-mavx512f', '-Wno-uninitialized', '-Wno-maybe-uninitialized'],
          'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['-mavx512f'] },
          'msvs_settings': { 'VCCLCompilerTool': { 'AdditionalOptions': ['/arch:AVX512'] } },
        }],
      ],
    },
    {
      'target_name': 'nnc',
      'dependencies': ['nnc_avx2', 'nnc_avx512', 'nnc_train_avx2', 'nnc_train_avx512'],
      'sources': [
        'native/addon/addon.cc',
        'native/addon/jobs.cc',
        'native/addon/args.cc',
        'native/core/xxhash64.cc',
        'native/core/model.cc',
        'native/core/model_file.cc',
        'native/core/json_check.cc',
        'native/core/cpu_features.cc',
        'native/core/kernels_scalar.cc',
        'native/core/forward.cc',
        'native/core/frame.cc',
        'native/core/container.cc',
        'native/core/archive.cc',
        'native/core/parallel.cc',
        'native/core/mix/params.cc',
        'native/core/mix/stage.cc',
        'native/core/mix/frame_mixed.cc',
        'native/addon/train_binding.cc',
        'native/addon/train_args.cc',
        'native/addon/train_export.cc',
        'native/addon/train_jobs.cc',
        'native/train/sgemm_scalar.cc',
        'native/train/thread_pool.cc',
        'native/train/trainer.cc',
        'native/train/pass.cc',
        'native/train/epoch.cc',
        'native/train/prune.cc',
        'native/train/quant.cc',
        'native/train/checkpoint.cc',
      ],
      'include_dirs': ["<!(node -p \"require('node-addon-api').include_dir\")"],
      'conditions': [
        ['OS=="linux"', { 'libraries': ['-pthread'], 'cflags_cc': ['-pthread'] }],
      ],
    },
  ],
}
