"""The Qt layer of HAFS Studio: windows, docks, workspaces, dialogs. Above :mod:`studio.core`."""
