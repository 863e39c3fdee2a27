"""Email over SMTP: a plain-text and an HTML part.

Server settings, first found wins: the webhook's `conn_id` (an Airflow SMTP connection: host, port, login, password,
extra `from_email`, `ssl`, `starttls`), its `url` (`smtp://host:port` or `smtps://...`, may be `${ENV_VAR}`), then the
environment: DANGO_SMTP_HOST, DANGO_SMTP_PORT (25), DANGO_SMTP_USER, DANGO_SMTP_PASSWORD, DANGO_SMTP_FROM,
DANGO_SMTP_STARTTLS (true/false), DANGO_SMTP_SSL (true/false).
"""

from __future__ import annotations

import html
import os
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from airflow_provider_dango.alerts.events import Event
from airflow_provider_dango.alerts.secrets import SecretNotFound, get_connection
from airflow_provider_dango.alerts.transports.base import DeliveryError, WebhookTransport


def _true(value: object) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


@dataclass
class SmtpSettings:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "dango@localhost"
    ssl: bool = False
    starttls: bool = False


def render_email(event: Event, sender: str, to: list[str]) -> EmailMessage:
    msg = EmailMessage()
    where = f" [{event.schedule}]" if event.schedule else ""
    msg["Subject"] = f"[dango {event.level.label}] {event.title}{where}"
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["X-Dango-Event"] = event.type
    msg["X-Dango-Event-Id"] = event.event_id
    msg["Message-ID"] = f"<{event.event_id}@dango>"  # the same on every retry: mail systems drop repeats
    lines = [f"{label}: {value}" for label, value in event.facts()]
    link = event.link()
    if link:
        lines.append(f"Open: {link}")
    msg.set_content("\n".join([event.title, "", *lines]))
    rows = "".join(
        f"<tr><th align='left'>{html.escape(k)}</th><td><pre style='margin:0'>{html.escape(v)}</pre></td></tr>"
        for k, v in event.facts()
    )
    button = f"<p><a href='{html.escape(link)}'>View run</a></p>" if link else ""
    msg.add_alternative(f"<h2>{html.escape(event.title)}</h2><table>{rows}</table>{button}", subtype="html")
    return msg


class EmailTransport(WebhookTransport):
    def settings(self) -> SmtpSettings:
        env = os.environ
        try:
            if self.webhook.conn_id:
                conn = get_connection(self.webhook.conn_id)
                self._remember(conn.password)
                extra = conn.extra
                return SmtpSettings(
                    host=conn.host or "localhost",
                    port=int(conn.port or 25),
                    user=conn.login,
                    password=conn.password,
                    sender=str(extra.get("from_email") or env.get("DANGO_SMTP_FROM") or "dango@localhost"),
                    ssl=_true(extra.get("ssl", False)),
                    starttls=_true(extra.get("starttls", False)),
                )
            url = self.webhook.resolve_url()
            if self.webhook.url and url is None:
                raise SecretNotFound(f"environment variable in {self.webhook.url} is not set")
            if url:
                parts = urlsplit(url)
                self._remember(url, parts.password and unquote(parts.password))
                return SmtpSettings(
                    host=parts.hostname or "localhost",
                    port=parts.port or (465 if parts.scheme == "smtps" else 25),
                    user=unquote(parts.username) if parts.username else env.get("DANGO_SMTP_USER"),
                    password=unquote(parts.password) if parts.password else env.get("DANGO_SMTP_PASSWORD"),
                    sender=env.get("DANGO_SMTP_FROM", "dango@localhost"),
                    ssl=parts.scheme == "smtps",
                    starttls=_true(env.get("DANGO_SMTP_STARTTLS", "false")),
                )
            if not env.get("DANGO_SMTP_HOST"):
                raise SecretNotFound("no SMTP server: set conn_id, url, or DANGO_SMTP_HOST")
            self._remember(env.get("DANGO_SMTP_PASSWORD"))
            return SmtpSettings(
                host=env["DANGO_SMTP_HOST"],
                port=int(env.get("DANGO_SMTP_PORT", "25")),
                user=env.get("DANGO_SMTP_USER"),
                password=env.get("DANGO_SMTP_PASSWORD"),
                sender=env.get("DANGO_SMTP_FROM", "dango@localhost"),
                ssl=_true(env.get("DANGO_SMTP_SSL", "false")),
                starttls=_true(env.get("DANGO_SMTP_STARTTLS", "false")),
            )
        except SecretNotFound as exc:
            raise DeliveryError(f"webhook {self.name}: {exc}", retryable=True) from None

    def send(self, event: Event) -> None:
        s = self.settings()
        msg = render_email(event, s.sender, self.webhook.to)
        timeout = self.webhook.timeout_seconds
        try:
            cls = smtplib.SMTP_SSL if s.ssl else smtplib.SMTP
            with cls(s.host, s.port, timeout=timeout) as smtp:
                if s.starttls:
                    smtp.starttls()
                if s.user and s.password:
                    smtp.login(s.user, s.password)
                smtp.send_message(msg)
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"webhook {self.name}: SMTP login refused ({exc.smtp_code})", retryable=False) from None
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryError(f"webhook {self.name}: SMTP recipients refused", retryable=False) from None
        except smtplib.SMTPResponseException as exc:
            # 4yz replies are transient by definition; 5yz are permanent.
            retryable = 400 <= exc.smtp_code < 500
            raise DeliveryError(f"webhook {self.name}: SMTP {exc.smtp_code}", retryable=retryable) from None
        except TimeoutError:
            raise DeliveryError(f"webhook {self.name}: SMTP timed out after {timeout:g} s", retryable=True) from None
        except (smtplib.SMTPException, OSError) as exc:
            text = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            raise DeliveryError(f"webhook {self.name}: SMTP connection error ({text})", retryable=True) from None
