"""A guestbook: a WSGI app written with Python's standard library only.

App Engine's python27 runtime imports `main` and serves `main.app` (the `script: main.app`
handlers in app.yaml); appyaml does the same through its WSGI bridge. Entries are kept in a
file in the system's temporary folder (never inside the app: a deployed app's files are read-only).
"""
import html
import json
import os
import tempfile
import time
from urllib.parse import parse_qs

STORE = os.path.join(tempfile.gettempdir(), 'appyaml-guestbook.jsonl')
MAX_BODY = 16 * 1024
MAX_FIELD = 500
SHOWN = 50

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Guestbook</title>
<link rel="icon" href="/favicon.ico">
<link rel="stylesheet" href="/static/css/guestbook.css">
<script src="/static/js/guestbook.js" defer></script>
</head>
<body>
<main>
<h1>Guestbook</h1>
<p id="count">{count} {noun}</p>
<form method="post" action="/sign">
<label>Name <input name="name" maxlength="{max}" required></label>
<label>Message <textarea name="message" maxlength="{max}" required></textarea></label>
<button type="submit">Sign</button>
</form>
<ol id="entries">{entries}</ol>
</main>
</body>
</html>
"""


def read_entries():
    try:
        with open(STORE, encoding='utf-8') as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def add_entry(name, message):
    line = json.dumps({'name': name, 'message': message, 'time': int(time.time())}) + '\n'
    # One write with O_APPEND: instances running side by side never interleave their lines.
    fd = os.open(STORE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode('utf-8'))
    finally:
        os.close(fd)


def home():
    entries = read_entries()
    items = ''.join(
        '<li><b>{}</b>: {}</li>'.format(html.escape(e['name']), html.escape(e['message']))
        for e in reversed(entries[-SHOWN:])
    )
    page = PAGE.format(count=len(entries), noun='entry' if len(entries) == 1 else 'entries', entries=items, max=MAX_FIELD)
    return '200 OK', [('Content-Type', 'text/html; charset=utf-8')], page


def sign(environ):
    try:
        length = int(environ.get('CONTENT_LENGTH') or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        return '413 Request Entity Too Large', [('Content-Type', 'text/plain')], 'too long\n'
    form = parse_qs(environ['wsgi.input'].read(length).decode('utf-8', 'replace'))
    name = (form.get('name') or [''])[0].strip()[:MAX_FIELD]
    message = (form.get('message') or [''])[0].strip()[:MAX_FIELD]
    if not name or not message:
        return '400 Bad Request', [('Content-Type', 'text/plain')], 'name and message are required\n'
    add_entry(name, message)
    # Post/redirect/get: a reload of the page that follows does not post again.
    return '303 See Other', [('Location', '/'), ('Content-Type', 'text/plain')], 'signed\n'


def admin(environ):
    text = 'entries: {}\nscheme: {}\n'.format(len(read_entries()), environ.get('wsgi.url_scheme'))
    return '200 OK', [('Content-Type', 'text/plain; charset=utf-8')], text


def app(environ, start_response):
    method = environ['REQUEST_METHOD']
    path = environ.get('PATH_INFO', '/')
    if path == '/' and method in ('GET', 'HEAD'):
        status, headers, body = home()
    elif path == '/sign' and method == 'POST':
        status, headers, body = sign(environ)
    elif path == '/admin' and method in ('GET', 'HEAD'):
        status, headers, body = admin(environ)
    else:
        status, headers, body = '404 Not Found', [('Content-Type', 'text/plain')], 'not found\n'
    start_response(status, headers)
    return [body.encode('utf-8')]
