"""Web wiring and infrastructure.

``app.factory`` builds the application and imports every layer at the top; the web
modules (``auth``, ``errors``, ``security``, the CLI) sit below it; ``extensions``,
``clock`` and ``config`` are the infrastructure every layer may use. This package's own
``__init__`` imports nothing, so that importing the infrastructure never pulls in the
factory (and with it the screens): the layers run one way (see ``.importlinter``).
"""
