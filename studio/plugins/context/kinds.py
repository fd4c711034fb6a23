"""What a file or folder in a context root is: its kind, icon and where it opens.

Recognition is by name and place first (hafs's file names are fixed, hafs-formats §1-§5) and by
a few magic bytes for binary model files whose name says nothing. Everything here is a pure
function of a path, a name and (for magic bytes) the first 8 bytes, so the tree model can
classify 100k entries from one ``scandir`` without opening files.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "FOLDER_MARKS",
    "FileKind",
    "FolderMark",
    "KindInfo",
    "classify",
    "classify_by_magic",
    "folder_mark",
    "kind_info",
]


class FileKind(enum.StrEnum):
    FOLDER = "folder"
    REGISTRY = "registry"
    SCHEDULED_TASKS = "scheduled_tasks"
    QA = "qa"
    DATASET_SPLIT = "dataset_split"
    TRAINER_STATE = "trainer_state"
    GGUF = "gguf"
    SAFETENSORS = "safetensors"
    LOG = "log"
    JSON = "json"
    JSONL = "jsonl"
    TOML = "toml"
    YAML = "yaml"
    MARKDOWN = "markdown"
    SOURCE = "source"
    TEXT = "text"
    BINARY = "binary"


@dataclass(frozen=True)
class KindInfo:
    label: str
    icon: str  # qtawesome name, house style mdi6.*
    opener: str  # "editor", "hex", or a workspace that has a better view (data, logs, models…)


_KINDS: dict[FileKind, KindInfo] = {
    FileKind.FOLDER: KindInfo("Folder", "mdi6.folder-outline", "browser"),
    FileKind.REGISTRY: KindInfo("Model registry", "mdi6.cube-outline", "editor"),
    FileKind.SCHEDULED_TASKS: KindInfo("Training daemon schedule", "mdi6.calendar-clock",
                                       "editor"),
    FileKind.QA: KindInfo("Expert Q&A", "mdi6.comment-question-outline", "qa"),
    FileKind.DATASET_SPLIT: KindInfo("Dataset split", "mdi6.database-outline", "data"),
    FileKind.TRAINER_STATE: KindInfo("Trainer state", "mdi6.chart-line", "training"),
    FileKind.GGUF: KindInfo("GGUF model", "mdi6.cube-scan", "hex"),
    FileKind.SAFETENSORS: KindInfo("safetensors weights", "mdi6.grid", "hex"),
    FileKind.LOG: KindInfo("Log", "mdi6.text-box-search-outline", "logs"),
    FileKind.JSON: KindInfo("JSON", "mdi6.code-json", "editor"),
    FileKind.JSONL: KindInfo("JSON Lines", "mdi6.code-json", "editor"),
    FileKind.TOML: KindInfo("TOML", "mdi6.cog-outline", "editor"),
    FileKind.YAML: KindInfo("YAML", "mdi6.format-list-bulleted-type", "editor"),
    FileKind.MARKDOWN: KindInfo("Markdown", "mdi6.language-markdown-outline", "editor"),
    FileKind.SOURCE: KindInfo("Source code", "mdi6.file-code-outline", "editor"),
    FileKind.TEXT: KindInfo("Text", "mdi6.file-document-outline", "editor"),
    FileKind.BINARY: KindInfo("Binary", "mdi6.file-question-outline", "hex"),
}

SOURCE_SUFFIXES = frozenset({
    ".py", ".pyi", ".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".cs", ".asm", ".s",
    ".inc", ".sh", ".bash", ".zsh", ".js", ".ts", ".rs", ".go", ".java", ".lua", ".cmake",
    ".sql", ".xml", ".html", ".css", ".org", ".ipynb",
})  # fmt: skip
TEXT_SUFFIXES = frozenset({".txt", ".csv", ".tsv", ".cfg", ".ini", ".conf", ".env", ".rst"})
TEXT_NAMES = frozenset({"README", "LICENSE", "Makefile", "CMakeLists.txt", "Dockerfile",
                        ".gitignore", "daemon.pid", "campaign.pid"})
_SUFFIX_KINDS = {
    ".gguf": FileKind.GGUF, ".safetensors": FileKind.SAFETENSORS, ".log": FileKind.LOG,
    ".json": FileKind.JSON, ".jsonl": FileKind.JSONL, ".toml": FileKind.TOML,
    ".yaml": FileKind.YAML, ".yml": FileKind.YAML, ".md": FileKind.MARKDOWN,
    ".markdown": FileKind.MARKDOWN,
}  # fmt: skip
SPLIT_NAMES = frozenset({"train.jsonl", "val.jsonl", "test.jsonl", "rejected.jsonl"})
QA_NAMES = frozenset({"expert_questions.json", "question_batches.json",
                      "answered_questions.json", "skipped_questions.json"})


def kind_info(kind: FileKind) -> KindInfo:
    return _KINDS[kind]


def classify(name: str, *, is_dir: bool = False, parent: str = "") -> FileKind:
    """The kind of an entry called ``name`` in a folder called ``parent`` (by name alone).

    Files whose name says nothing come back as TEXT or BINARY by suffix; the tree refines an
    unknown suffix with :func:`classify_by_magic` when it reads the first bytes.
    """
    if is_dir:
        return FileKind.FOLDER
    lower = name.lower()
    if lower == "registry.json" and parent == "models":
        return FileKind.REGISTRY
    if lower == "scheduled_tasks.json":
        return FileKind.SCHEDULED_TASKS
    if lower in QA_NAMES or (parent == "qa_samples" and lower.endswith(".jsonl")):
        return FileKind.QA
    if lower in SPLIT_NAMES:
        return FileKind.DATASET_SPLIT
    if lower == "trainer_state.json":
        return FileKind.TRAINER_STATE
    suffix = os.path.splitext(lower)[1]
    if suffix in _SUFFIX_KINDS:
        return _SUFFIX_KINDS[suffix]
    if suffix in SOURCE_SUFFIXES:
        return FileKind.SOURCE
    if suffix in TEXT_SUFFIXES or name in TEXT_NAMES or lower.startswith("readme"):
        return FileKind.TEXT
    return FileKind.BINARY


def classify_by_magic(head: bytes, fallback: FileKind) -> FileKind:
    """Refine ``fallback`` from a file's first bytes: GGUF magic, or text that decodes."""
    if head.startswith(b"GGUF"):
        return FileKind.GGUF
    if fallback is not FileKind.BINARY:
        return fallback
    if len(head) >= 9 and head[8:9] == b"{":  # safetensors: u64 header length, then JSON
        return FileKind.SAFETENSORS
    if b"\0" in head:
        return FileKind.BINARY
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # a multi-byte character cut at the end is still text
            return FileKind.BINARY
    return FileKind.TEXT


class FolderMark(enum.StrEnum):
    NONE = ""
    HAFS = "hafs"  # one of hafs's own folders under the context root
    CONTEXT = "context"  # contains a .context (hafs's studio marks these)
    DATASET = "dataset"  # a campaign's dataset folder (train/val/test.jsonl)
    RUN = "run"  # a fine-tune run (trainer_state.json or checkpoints)


# hafs's folders under the context root and what they hold (hafs-formats §0-§5).
FOLDER_MARKS: dict[str, str] = {
    "models": "trained models and registry.json",
    "training": "datasets, campaigns, expert Q&A",
    "knowledge": "knowledge bases",
    "metrics": "agent metrics",
    "logs": "daemon and training logs",
    "scratchpad": "agent scratchpad",
    "sessions": "chat sessions",
    "swarms": "swarm reports",
    "training_daemon": "training daemon state",
    "autonomy_daemon": "autonomy daemon state",
    "observability_daemon": "observability daemon state",
    "context_agent_daemon": "context agent daemon state",
    "embedding_service": "embedding service state",
}


def folder_mark(path: Path, root: Path | None, names: frozenset[str] | None = None
                ) -> tuple[FolderMark, str]:
    """How the browser marks folder ``path`` (and why), given its entry names when known.

    ``names`` (from a listing already made) avoids a second ``scandir``; without it only the
    name-based marks are computed.
    """
    if root is not None and path.parent == root and path.name in FOLDER_MARKS:
        return FolderMark.HAFS, f"hafs: {FOLDER_MARKS[path.name]}"
    if names is None:
        return FolderMark.NONE, ""
    if ".context" in names:
        return FolderMark.CONTEXT, "contains a .context"
    if "trainer_state.json" in names or any(n.startswith("checkpoint-") for n in names):
        return FolderMark.RUN, "a fine-tune run"
    if "train.jsonl" in names and ("metadata.json" in names or "val.jsonl" in names):
        return FolderMark.DATASET, "a dataset (train/val/test splits)"
    return FolderMark.NONE, ""
