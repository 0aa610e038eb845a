"""Mail to subscribers: the messages (plain text and HTML, ``List-Unsubscribe`` and
``List-Unsubscribe-Post`` per RFC 8058, a ``Message-ID`` made of the notice and the subscriber, so
that a message sent again after a crash is recognisably the same one) and the SMTP sender (one
connection kept open, STARTTLS or TLS, a login from the secrets store, a send rate)."""

from __future__ import annotations

import html
import re
import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import urlencode

from campaigns.subscribers import SubscriberSettings
from status.notices import Notice

from ..errors import Permanent, Transient
from ..ledger.subscribers import Subscriber
from ..redaction import redact
from .secrets import Keys
from .tokens import unsubscribe_token


def _domain(settings: SubscriberSettings) -> str:
    return parseaddr(settings.sender)[1].rpartition("@")[2] or "herald.invalid"


def unsubscribe_url(base: str, keys: Keys, subscriber: str) -> str:
    query = urlencode({"s": subscriber, "t": unsubscribe_token(keys.signing_key, subscriber)})
    return f"{base}subscribe/unsubscribe?{query}"


def one_line(text: str) -> str:
    """``text`` with its line breaks (LF, CR, NEL, U+2028, U+2029) as spaces: a header is one line."""
    return " ".join(re.split("[\n\r\x85\u2028\u2029]+", text)).strip()


def _message(settings: SubscriberSettings, to: str, subject: str, text: str, markup: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = one_line(subject)  # a title's line break would end the header (and the mail never builds)
    message.set_content(text)
    message.add_alternative(f"<!doctype html><html><body>{markup}</body></html>", subtype="html")
    return message


def notice_message(settings: SubscriberSettings, keys: Keys, base: str, brand: str, notice: Notice,
                   subscriber: Subscriber) -> EmailMessage:
    """What one subscriber receives of one notice."""
    page, leave = base + notice.path, unsubscribe_url(base, keys, subscriber.id)
    lines = [notice.subject, "", notice.message, "", f"Affected: {notice.affected}", f"Details: {page}", "",
             f"You subscribed to {brand} status updates. Unsubscribe: {leave}"]
    markup = (f"<h1>{html.escape(notice.subject)}</h1><p>{html.escape(notice.message)}</p>"
              f"<p>Affected: {html.escape(notice.affected)}</p><p><a href=\"{html.escape(page)}\">Details</a></p>"
              f"<p>You subscribed to {html.escape(brand)} status updates. "
              f"<a href=\"{html.escape(leave)}\">Unsubscribe</a></p>")
    message = _message(settings, subscriber.address, f"[{brand} status] {notice.subject}", "\n".join(lines), markup)
    message["Date"] = format_datetime(notice.at)
    message["Message-ID"] = f"<{notice.key}.{subscriber.id}@{_domain(settings)}>"
    message["List-Id"] = f"{brand} status <status.{_domain(settings)}>"
    message["List-Unsubscribe"] = f"<{leave}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    return message


def confirmation_message(settings: SubscriberSettings, base: str, brand: str, address: str, token: str,
                         components: str) -> EmailMessage:
    """The double opt-in: nothing is sent to ``address`` until its owner follows this link."""
    link = f"{base}subscribe/confirm?{urlencode({'t': token})}"
    text = (f"Someone, hopefully you, asked to receive {brand} status updates ({components}) at this address.\n\n"
            f"Confirm: {link}\n\nIf it was not you, ignore this message: nothing will be sent.")
    markup = (f"<p>Someone, hopefully you, asked to receive {html.escape(brand)} status updates "
              f"({html.escape(components)}) at this address.</p><p><a href=\"{html.escape(link)}\">Confirm</a></p>"
              "<p>If it was not you, ignore this message: nothing will be sent.</p>")
    message = _message(settings, address, f"Confirm your {brand} status subscription", text, markup)
    message["Auto-Submitted"] = "auto-generated"
    return message


class Pace:
    """At most ``count`` sends per ``per`` seconds, evenly spaced (``sleep`` and ``monotonic``
    injected: tests do not wait)."""

    def __init__(self, count: int, per: float, *, sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic):
        self.gap = per / count
        self.sleep, self.monotonic = sleep, monotonic
        self.next = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = self.monotonic()
            start = max(now, self.next)
            self.next = start + self.gap
        if start > now:
            self.sleep(start - now)


class Mailer:
    """One SMTP connection, opened when first needed and again after the server dropped it."""

    def __init__(self, settings: SubscriberSettings, keys: Keys, pace: Pace | None = None):
        self.settings, self.keys = settings, keys
        self.pace = pace or Pace(settings.rate[0], settings.rate[1].total_seconds())
        self.smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        timeout = s.timeout.total_seconds()
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if s.security == "tls":
            smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=timeout)
            if s.security == "starttls":
                smtp.starttls(context=context)
        if self.keys.username:
            smtp.login(self.keys.username, self.keys.password)
        return smtp

    def send(self, message: EmailMessage) -> None:
        """Send ``message``.

        :raises Transient: the server or the network failed for now (4xx, a dropped connection)
        :raises Permanent: the server refused it (5xx)
        """
        self.pace.wait()
        try:
            if self.smtp is None:
                self.smtp = self._connect()
            self.smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, said = next(iter(exc.recipients.values()))
            raise _refused(code, said) from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise _refused(exc.smtp_code, exc.smtp_error) from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise Transient("smtp", redact(f"{type(exc).__name__}: {exc}".splitlines()[0]), ambiguous=True) from None

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


def _refused(code: int, said: bytes | str) -> Transient | Permanent:
    text = said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)
    line = redact(f"{code} {text}".splitlines()[0] if text else str(code))
    return Transient("smtp", line) if 400 <= code < 500 else Permanent("smtp", line)
