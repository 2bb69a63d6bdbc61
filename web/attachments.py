"""Attachments on the web: upload to a case, download with safe headers, a clear page for files too big."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from engine.services.cases.files import MAX_BYTES, add_attachment, open_attachment
from engine.services.errors import FormValidationError
from web.case_display import signed_in
from web.case_page import FILE_FIELD, LIMITS, VISIBILITY_FIELD, Drafts, render_case
from web.context import login_required, services

# Room for the multipart envelope and the small fields that travel with the largest file the engine accepts.
REQUEST_LIMIT = MAX_BYTES + 256 * 1024
NO_FILE = "Seleccione un archivo."
# A download is never rendered by the browser as a page of this site, whatever its bytes.
DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
}


def limit_request_size(state: BlueprintSetupState) -> None:
    """Cap request bodies unless the app sets MAX_CONTENT_LENGTH: bigger uploads get 413 before being read."""
    if state.app.config.get("MAX_CONTENT_LENGTH") is None:
        state.app.config["MAX_CONTENT_LENGTH"] = REQUEST_LIMIT


@login_required
def upload(case_id: int) -> ResponseReturnValue:
    """Attach a file to the case; the engine checks its type (by name and first bytes) and size."""
    sent = request.files.get(FILE_FIELD)
    visibility = "internal" if request.form.get(VISIBILITY_FIELD) == "internal" else "public"
    try:
        if sent is None or not sent.filename:
            raise FormValidationError({FILE_FIELD: [NO_FILE]})
        stored = add_attachment(services(), signed_in(), case_id, sent.filename, sent.read(MAX_BYTES + 1),
                                visibility)
    except FormValidationError as error:
        problems = tuple(message for messages in error.errors.values() for message in messages)
        return render_case(case_id, Drafts(upload_errors=problems), 422)
    flash(f"Se adjuntó «{stored.filename}».", "success")
    return redirect(url_for("portal.case_page", case_id=case_id, _anchor="adjuntos"))


@login_required
def download(attachment_id: str) -> ResponseReturnValue:
    """The file as a download, never shown inline, to people who may see its case (others get 404)."""
    view, path = open_attachment(services(), signed_in(), attachment_id)
    if not path.is_file():
        abort(404)
    response = send_file(path, as_attachment=True, download_name=view.filename, max_age=0)
    # The stored type as is: passing it as mimetype would add a second charset to text types.
    response.headers.update({"Content-Type": view.content_type, **DOWNLOAD_HEADERS})
    return response


def too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    """413 as a page that states the limit and leads back to the case."""
    case_id = (request.view_args or {}).get("case_id")
    return render_template("cases/too_large.html", case_id=case_id, limits=LIMITS), 413
