"""llama.cpp quantization types as the studio offers them (a light module: no NumPy, no gguf).

Kept apart from :mod:`studio.plugins.models.quantize` so that the plugin can list the types in
its settings at start-up without importing the GGUF stack.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["QUANT_TYPES", "QuantType"]


@dataclass(frozen=True)
class QuantType:
    """A llama.cpp quantization type as offered to the user."""

    name: str
    bits_per_weight: float  # effective, for a 7B-class model (llama.cpp's published figures)
    block: int  # row length multiple the type needs; other rows fall back to a larger type
    quality: str


QUANT_TYPES: dict[str, QuantType] = {q.name: q for q in (
    QuantType("Q2_K", 2.96, 256, "smallest K-quant; large quality loss, last resort"),
    QuantType("Q3_K_S", 3.50, 256, "very small; clearly degraded"),
    QuantType("Q3_K_M", 3.91, 256, "small; noticeable loss"),
    QuantType("Q3_K_L", 4.27, 256, "small; moderate loss"),
    QuantType("IQ4_XS", 4.25, 256, "4-bit non-linear; near Q4_K_S quality, smaller"),
    QuantType("IQ4_NL", 4.50, 32, "4-bit non-linear, 32-blocks; good on small models"),
    QuantType("Q4_0", 4.55, 32, "legacy 4-bit; prefer Q4_K_M"),
    QuantType("Q4_1", 5.00, 32, "legacy 4-bit with offsets"),
    QuantType("Q4_K_S", 4.58, 256, "4-bit; small loss"),
    QuantType("Q4_K_M", 4.89, 256, "recommended default: good balance of size and quality"),
    QuantType("Q5_0", 5.54, 32, "legacy 5-bit"),
    QuantType("Q5_1", 6.00, 32, "legacy 5-bit with offsets"),
    QuantType("Q5_K_S", 5.54, 256, "5-bit; very small loss"),
    QuantType("Q5_K_M", 5.70, 256, "5-bit; very small loss, recommended if it fits"),
    QuantType("Q6_K", 6.56, 256, "6-bit; nearly lossless"),
    QuantType("Q8_0", 8.50, 32, "8-bit; practically lossless, twice the size of Q4"),
    QuantType("F16", 16.0, 1, "half precision; lossless for F16-trained weights"),
    QuantType("BF16", 16.0, 1, "bfloat16; lossless for BF16-trained weights"),
)}  # fmt: skip
