"""Stand-in for llama.cpp's convert_hf_to_gguf.py (copied into a temp "checkout" by the tests).

Same command line and the same kind of output as the real script: one
``INFO:hf-to-gguf:<name>, torch.<dtype> --> <TYPE>, shape = {…}`` line per tensor, then a tqdm
style ``Writing: NN%|…`` bar redrawn with carriage returns; it writes a real GGUF with the
``gguf`` package (llama architecture, the checkpoint's tensors, no vocabulary: enough for the
inspector, not for inference). ``FAKE_CONVERT_MODE``: ``fail`` dies like the real script does
without torch; ``hang`` writes part of the output, records its pid in ``FAKE_CONVERT_PIDFILE``
and waits to be killed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from gguf import GGMLQuantizationType, GGUFWriter
from safetensors.numpy import load_file

NAMES = {"model.embed_tokens.weight": "token_embd.weight",
         "model.norm.weight": "output_norm.weight", "lm_head.weight": "output.weight"}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", type=Path)
    parser.add_argument("--outfile", type=Path, required=True)
    parser.add_argument("--outtype", default="f16")
    args = parser.parse_args()
    mode = os.environ.get("FAKE_CONVERT_MODE", "")
    if mode == "fail":
        print("Traceback (most recent call last):\n  File \"convert_hf_to_gguf.py\", line 19, "
              "in <module>\n    import torch\nModuleNotFoundError: No module named 'torch'",
              file=sys.stderr)
        return 1
    config = json.loads((args.model / "config.json").read_text())
    tensors = load_file(str(args.model / "model.safetensors"))
    dtype = np.float32 if args.outtype == "f32" else np.float16
    writer = GGUFWriter(args.outfile, "llama")
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_embedding_length(config["hidden_size"])
    for name, array in tensors.items():
        gguf_name = NAMES.get(name, name.replace("model.layers.", "blk."))
        out = array.astype(dtype if array.ndim == 2 else np.float32)
        kind = GGMLQuantizationType.F16 if out.dtype == np.float16 else GGMLQuantizationType.F32
        print(f"INFO:hf-to-gguf:{gguf_name}, torch.{array.dtype} --> {kind.name}, "
              f"shape = {{{', '.join(map(str, reversed(array.shape)))}}}", file=sys.stderr)
        writer.add_tensor(gguf_name, out, raw_dtype=kind)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    if mode == "hang":
        Path(os.environ["FAKE_CONVERT_PIDFILE"]).write_text(str(os.getpid()))
        sys.stderr.write("\rWriting:  10%|#         | 1/10 [00:00<00:00]")
        sys.stderr.flush()
        time.sleep(120)
    for percent in (25, 50, 75, 100):
        sys.stderr.write(f"\rWriting: {percent:3d}%|{'#' * (percent // 10):10s}| {percent}/100")
        sys.stderr.flush()
    writer.write_tensors_to_file()
    writer.close()
    print(f"\nINFO:hf-to-gguf:Model successfully exported to {args.outfile}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
