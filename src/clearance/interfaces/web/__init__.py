"""The web interface (FastAPI + Jinja2). `app.create_app()` mounts one router per area."""
