"""The driving HTTP adapter: FastAPI routes over the use cases (see ``app.create_app``)."""
