"""A Flask app for App Engine's second-generation Python runtime.

Run as App Engine runs it: gunicorn imports main and serves `app` on $PORT.
"""
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get('/')
def home():
    return (
        '<!doctype html><title>Flask on appyaml</title>'
        '<link rel="stylesheet" href="/static/style.css">'
        '<h1>Hello from Flask</h1>'
    )


@app.get('/api/hello')
def hello():
    # App Engine's frontend adds these headers; clients cannot forge them.
    return jsonify(
        greeting='Hello, {}!'.format(request.args.get('name', 'world')),
        country=request.headers.get('X-AppEngine-Country'),
        trace=request.headers.get('X-Cloud-Trace-Context', '').split('/')[0],
    )
