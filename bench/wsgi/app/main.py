"""Hello world, the same callable for appyaml and for gunicorn."""


def app(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'Hello, World!']
