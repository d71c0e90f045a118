"""A plain WSGI app for the flexible environment, served by gunicorn (see app.yaml's entrypoint)."""
import json
import os


def app(environ, start_response):
    path = environ.get('PATH_INFO', '/')
    if path == '/env':
        names = ('GAE_SERVICE', 'GAE_VERSION', 'GAE_INSTANCE', 'GOOGLE_CLOUD_PROJECT', 'PORT', 'GREETING')
        body = json.dumps({name: os.environ.get(name) for name in names}).encode('utf-8')
        start_response('200 OK', [('Content-Type', 'application/json')])
        return [body]
    body = '{} (gunicorn worker {}); you asked for {}\n'.format(os.environ.get('GREETING', 'Hello'), os.getpid(), path)
    start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
    return [body.encode('utf-8')]
