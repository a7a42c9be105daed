"""CSRF protection on every form (Flask-WTF)."""

from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
