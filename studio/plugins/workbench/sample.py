"""Create a sample hafs context root: the folder skeleton, then whatever plugins add.

One job function serves the welcome page's button, the palette command and
``hafs-studio sample create``.
"""

from __future__ import annotations

from studio.api import JobContext, Studio, create_skeleton

__all__ = ["populate_sample_workspace"]


def populate_sample_workspace(context: JobContext, studio: Studio) -> list[str]:
    """Job body: create the skeleton under the context root and call every plugin's
    ``studio_populate_sample_workspace``; return the lines that describe what was made."""
    # The sample is a registry and training files: where hafs keeps those (~/.context even when
    # hafs's config moved the root elsewhere; see studio.core.context.hafs_path).
    context_root = studio.context
    root = context_root.hard_coded if context_root.split and context_root.hard_coded else \
        context_root.path
    context.report(0.05, f"Creating the hafs folders in {root}")
    lines = [f"Created {path}" for path in create_skeleton(root)]
    if not lines:
        lines.append(f"{root} already has the hafs folders")
    context.raise_if_cancelled()
    context.report(0.2, "Adding sample content from plugins")
    studio.plugins.call_hook("studio_populate_sample_workspace", root=root, report=lines.append)
    context.report(1.0, f"Sample workspace ready in {root}")
    return lines
