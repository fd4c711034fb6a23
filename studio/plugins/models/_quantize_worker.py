"""Child process of :mod:`studio.plugins.models.quantize`: runs one llama_model_quantize call.

Run by path (``python _quantize_worker.py IN OUT FTYPE NTHREAD``) so it needs only
llama-cpp-python, not the studio package. llama.cpp logs one line per tensor to stderr, which
the parent parses for progress; killing this process is how a quantization is cancelled.
"""

import ctypes
import sys


def main() -> int:
    source, target, ftype_name, threads = sys.argv[1:5]
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{ftype_name}")
    params.nthread = int(threads)
    return llama_cpp.llama_model_quantize(source.encode(), target.encode(), ctypes.byref(params))


if __name__ == "__main__":
    sys.exit(main())
