"""Deploy plugin: turn a registered model into a running endpoint and prove that it answers.

Backends (llama.cpp in-process, Ollama, CTranslate2; more through the
``studio_register_deploy_backends`` hook), the deploy pipeline (convert → quantize → deploy),
chat sessions with the model's own chat template, prompt sets run side by side, and timings
(time to first token, tokens/s). Everything here except ``plugin.py`` and ``widgets/`` is Qt-free;
the CLI (``hafs-studio deploy|deployments|serve|test``) calls the same code as the panel.
"""
