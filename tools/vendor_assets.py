"""Copy the form-js and bpmn-js viewers from node_modules into web/static/vendor (run after `npm ci`).

The web app serves them as plain static files from its own origin, so the Content-Security-Policy can
stay at 'self'. The folder is generated: it ignores itself in git and is rebuilt from scratch each run.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "web" / "static" / "vendor"

# (package folder in node_modules, files to copy relative to it, destination folder under vendor/)
ASSETS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("@bpmn-io/form-js", (
        "dist/form-viewer.umd.js",               # global FormViewer (FormViewer.Form, FormViewer.createForm)
        "dist/assets/form-js.css",
        "dist/assets/form-js-base.css",
        "dist/assets/flatpickr/light.css",       # date and time pickers
        "LICENSE",
    ), "form-js"),
    ("bpmn-js", (
        "dist/bpmn-viewer.production.min.js",    # global BpmnJS
        "dist/assets/diagram-js.css",
        "dist/assets/bpmn-js.css",
        "dist/assets/bpmn-font/css/bpmn.css",
        "dist/assets/bpmn-font/font/bpmn.woff2",
        "dist/assets/bpmn-font/font/bpmn.woff",
        "dist/assets/bpmn-font/font/bpmn.ttf",
        "dist/assets/bpmn-font/font/bpmn.eot",
        "dist/assets/bpmn-font/font/bpmn.svg",
        "LICENSE",
    ), "bpmn-js"),
)


def _destination(package_dir: str, relative: str) -> Path:
    """Keep the layout under dist/ (CSS refers to ../font/...), drop the dist/ prefix itself."""
    return VENDOR / package_dir / relative.removeprefix("dist/")


def missing_files() -> list[Path]:
    """Source files that node_modules does not have (empty when `npm ci` ran)."""
    return [NODE_MODULES / package / name for package, names, _ in ASSETS for name in names
            if not (NODE_MODULES / package / name).is_file()]


def copy_assets() -> list[Path]:
    """Rebuild web/static/vendor from node_modules; returns the files written."""
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    written = []
    for package, names, target in ASSETS:
        for name in names:
            destination = _destination(target, name)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(NODE_MODULES / package / name, destination)
            written.append(destination)
    # Generated from node_modules: never committed.
    (VENDOR / ".gitignore").write_text("*\n", encoding="utf-8")
    return written


def main() -> int:
    """Copy, or say which files are missing and how to get them."""
    missing = missing_files()
    if missing:
        for path in missing:
            print(f"falta {path.relative_to(ROOT)}", file=sys.stderr)
        print("Ejecute `npm ci` (o `make install`) y vuelva a intentar.", file=sys.stderr)
        return 1
    for path in copy_assets():
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
