"""The shell's own settings: appearance and general. They belong to the studio, not a plugin.

The window reads them before any plugin is imported (its theme, whether to restore the last
session), so the studio registers them itself: ``general`` when it is built, ``appearance``
once the themes are known (it offers every registered theme as a choice). Owner: ``"studio"``.
"""

from __future__ import annotations

from collections.abc import Iterable

from studio.core.contributions import SettingField, SettingsSectionSpec

__all__ = ["APPEARANCE", "GENERAL", "appearance_section", "general_section"]

APPEARANCE = "appearance"
GENERAL = "general"
_FALLBACK_THEMES = ("cobalt", "light")  # built into the shell even without the themes plugin


def appearance_section(theme_ids: Iterable[str]) -> SettingsSectionSpec:
    """Theme choices: every registered theme (a theme whose plugin goes away later falls back
    to the default with a warning)."""
    themes = tuple(sorted(theme_ids)) or _FALLBACK_THEMES

    def theme_field(key: str, default: str, label: str, help_text: str = "") -> SettingField:
        chosen = default if default in themes else themes[0]
        return SettingField(key, "choice", chosen, label, help_text, choices=themes)

    return SettingsSectionSpec(
        APPEARANCE,
        "Appearance",
        (
            theme_field("theme", "cobalt", "Theme", "Also under View ▸ Theme."),
            SettingField("follow_system", "bool", False, "Follow the system light/dark scheme"),
            theme_field("dark_theme", "cobalt", "Theme when the system is dark"),
            theme_field("light_theme", "light", "Theme when the system is light"),
        ),
        plugin="studio",
    )


def general_section() -> SettingsSectionSpec:
    return SettingsSectionSpec(
        GENERAL,
        "General",
        (
            SettingField(
                "restore_session",
                "bool",
                True,
                "Reopen last session's windows",
                "Windows, workspaces and layouts come back at the next start.",
            ),
            SettingField(
                "confirm_quit_with_jobs", "bool", True, "Ask before quitting while jobs run"
            ),
        ),
        plugin="studio",
    )
