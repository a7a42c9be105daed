"""Operations: the production web server (gunicorn), backup and restore, and their commands."""
