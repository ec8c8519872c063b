"""The baselines: a bare Flask app that only redirects, and serves a static file, with no database at all."""

from __future__ import annotations

import os

from flask import Flask, redirect, send_from_directory

app = Flask(__name__, static_folder=None)  # our own route below serves the file
STATIC_DIR = os.environ["BENCH_STATIC_DIR"]
TARGET = os.environ.get("BENCH_TARGET", "/p/bench-shirt?utm_source=poster&utm_medium=qr")


@app.get("/q/<code>")
def scan(code: str):
    return redirect(TARGET, 302)


@app.get("/static/<path:name>")
def static_file(name: str):
    # What Flask's own static route does: conditional responses, ETag from mtime/size, Cache-Control.
    return send_from_directory(STATIC_DIR, name, max_age=3600)
