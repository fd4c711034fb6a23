"""Built-in Hugging Face → GGUF converter for the LLaMA family (llama, mistral, qwen2).

No llama.cpp checkout or torch needed: safetensors are memory-mapped and written with the
``gguf`` package. See :func:`convert_hf_to_gguf`.
"""

from studio.plugins.models.hf_to_gguf.arch import SUPPORTED_ARCHITECTURES, ConversionError
from studio.plugins.models.hf_to_gguf.convert import (
    OUTTYPES,
    ConversionResult,
    convert_hf_to_gguf,
    default_output_path,
)
from studio.plugins.models.hf_to_gguf.lora import LoraAdapter

__all__ = [
    "OUTTYPES",
    "SUPPORTED_ARCHITECTURES",
    "ConversionError",
    "ConversionResult",
    "LoraAdapter",
    "convert_hf_to_gguf",
    "default_output_path",
]
