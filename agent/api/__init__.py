"""tactful over HTTP: ``create_app(settings)`` in :mod:`agent.api.app`, served by
``tactful serve``. Importing this package alone loads nothing of FastAPI."""
