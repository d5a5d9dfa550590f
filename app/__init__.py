"""Healthcode's Flask application: the factory is `app.factory.create_app`.

This package module imports nothing, so a small tool inside it (the container health check,
`python -m app.heartbeat`) starts without loading Flask, SQLAlchemy and the API.
"""
