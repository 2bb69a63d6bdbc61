"""The demo mailbox: the messages the embedded SMTP sink received, with links to this site clickable."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue
from markupsafe import Markup, escape

from engine.mail.sink import list_mail, mail_folder, read_mail
from engine.services.people import policy
from web.context import current_actor, login_required, services

bp = Blueprint("mailbox", __name__, url_prefix="/correo")
_URL = re.compile(r"https?://[^\s<>\"']+")
# Sentence punctuation right after a link belongs to the text, not to the address.
_TRAILING = ".,;:!?)]}"


@bp.before_request
def _only_where_allowed() -> None:
    """Demo mode: anybody signed in (the views ask for it); otherwise administrators only, others get 404."""
    actor, demo = current_actor(), services().settings.demo_mail
    if actor is None and demo:
        return  # the views send anonymous visitors to sign in first
    if actor is None or not policy.reads_mailbox(actor, demo=demo):
        abort(404)


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    """The received messages, newest first."""
    return render_template("mailbox/index.html", messages=list_mail(_folder()))


@bp.route("/<mail_id>")
@login_required
def message(mail_id: str) -> ResponseReturnValue:
    """One message, its body escaped and its links to this site clickable."""
    mail = read_mail(_folder(), mail_id)
    if mail is None:
        abort(404)
    return render_template("mailbox/message.html", mail=mail, body=linkify(mail.body, services().settings.base_url))


def linkify(text: str, base_url: str) -> Markup:
    """Escape `text`; http(s) links under `base_url` become anchors, every other address stays text."""
    out: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        start, end = match.start(), match.start() + len(url)
        out.append(escape(text[last:start]))
        if url == base_url or url.startswith(base_url.rstrip("/") + "/"):
            out.append(Markup('<a href="{0}">{0}</a>').format(url))
        else:
            out.append(escape(url))
        last = end
    out.append(escape(text[last:]))
    return Markup("").join(out)


def _folder() -> Path:
    return mail_folder(services().settings.instance_path)
