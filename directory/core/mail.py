"""Email through Flask-Mailman: SMTP when a server is set, otherwise files in the instance folder.

Every message has a plain-text and an HTML part, rendered from ``templates/email/NAME.txt`` and
``NAME.html``, and both end with the contact line (``DIRECTORY_MAIL_CONTACT``) and, where the
recipient can opt out, an unsubscribe link (also given as a ``List-Unsubscribe`` header).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, current_app, render_template, url_for
from flask_mailman import EmailMultiAlternatives, Mail

mail = Mail()


class MailFailed(Exception):
    """The message could not be handed to the mail server; the text says why."""


def init_app(app: Flask) -> None:
    """SMTP when ``MAIL_SERVER`` is set; otherwise (development) write messages to ``instance/mail/``."""
    if not app.config.get("MAIL_BACKEND"):
        app.config["MAIL_BACKEND"] = "smtp" if app.config.get("MAIL_SERVER") else "file"
    app.config.setdefault("MAIL_FILE_PATH", str(Path(app.instance_path) / "mail"))
    mail.init_app(app)


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for an email, on the configured public address (jobs have no request to copy)."""
    base = str(current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/")
    with current_app.test_request_context("/", base_url=base):
        return url_for(endpoint, _external=True, **values)


def message_id(kind: str, key: int | str) -> str:
    """A Message-ID that is the same every time one particular message is sent (say, reminder 12)."""
    sender = str(current_app.config.get("MAIL_DEFAULT_SENDER") or "")
    domain = sender.rpartition("@")[2].strip(" >") or "asset-directory.invalid"
    return f"<{kind}-{key}@{domain}>"


def render(subject: str, template: str, *, unsubscribe_url: str | None = None, **context: Any) -> tuple[str, str, str]:
    """The one-line subject and the text and HTML bodies of ``email/<template>``, ready to send or to keep."""
    # A subject is one line whatever it was built from (a listing's name stored before names were one line).
    subject = " ".join(subject.split())
    context.update(subject=subject, unsubscribe_url=unsubscribe_url, contact=current_app.config.get("MAIL_CONTACT"))
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", **context)
    return subject, text, html


def send(
    to: str,
    subject: str,
    template: str,
    *,
    unsubscribe_url: str | None = None,
    message_id: str | None = None,
    **context: Any,
) -> None:
    """Render ``email/<template>.txt`` and ``.html`` and send them as one message to ``to`` (with ``message_id``
    as its Message-ID when the message is one of a kind, so a second send of it is recognisably the same)."""
    subject, text, html = render(subject, template, unsubscribe_url=unsubscribe_url, **context)
    send_rendered(to, subject, text, html, unsubscribe_url=unsubscribe_url, message_id=message_id)


def send_rendered(
    to: str, subject: str, text: str, html: str, *, unsubscribe_url: str | None = None, message_id: str | None = None
) -> None:
    """Send a message already rendered (by :func:`render`); :class:`MailFailed` says why it could not go."""
    headers = {"Auto-Submitted": "auto-generated"}
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    if message_id:
        headers["Message-ID"] = message_id
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=current_app.config.get("MAIL_DEFAULT_SENDER") or None,
        to=[to],
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except OSError as exc:  # smtplib's errors are OSErrors, as are refused connections and timeouts
        raise MailFailed(f"Could not send email to {to}: {exc}") from exc
    except ValueError as exc:  # a header that cannot be sent (BadHeaderError): this message fails, not the caller
        raise MailFailed(f"Could not send email to {to}: {exc}") from exc
