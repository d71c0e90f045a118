"""The bridge's life: init from Node, import the app, serve requests on worker threads."""
import collections
import ctypes
import json
import os
import platform
import signal
import sys
import threading

from . import deadline
from .cgi_script import CgiRequest, CgiScripts
from .channel import Channel
from .logs import ErrorStream, Logs, local
from .request import Request
from .serve import Apps, serve

PR_SET_PDEATHSIG = 1


def main():
    parent = os.getppid()
    channel = Channel(3)
    _die_with(parent)
    first = channel.read()
    if first is None or first[0] != b'I':
        return 2
    init = json.loads(first[2])
    os.chdir(init['root'])
    sys.path.insert(0, init['root'])
    logs = Logs(channel)
    logs.install()
    deadline.install()
    if init.get('mode') == 'cgi':
        # CGI scripts run in-process, one at a time (they own os.environ and sys.stdout).
        scripts = CgiScripts(logs)
        make_request, run = CgiRequest, scripts.serve
    else:
        apps = Apps(logs)
        for script in init['preload']:
            failed = apps.preload(script)
            if failed:
                channel.send_json(b'R', 0, {'m': failed[0], 'detail': failed[1]})
                return 1
        base = dict(init['environ'])
        base.update({
            'wsgi.version': (1, 0),
            'wsgi.multithread': init['multithread'],
            'wsgi.multiprocess': True,
            'wsgi.run_once': False,
            'wsgi.input_terminated': True,
        })
        make_request, run = Request, lambda req: serve(req, apps, base, logs)
    requests = {}
    serve_one = lambda req: _run(req, requests, run)  # noqa: E731
    workers = Workers(init['threads'], serve_one)
    # One request at a time: one without a body or flow control is served right here, on the
    # thread that read it, rather than handed to a worker (a thread switch each way).
    inline = serve_one if init['threads'] == 1 else None
    channel.send_json(b'Y', 0, {'pid': os.getpid(), 'python': platform.python_version()})
    _read(channel, workers, requests, logs, make_request, inline)
    # Node closed the channel (stopping us, or gone): nothing may outlive it, not even a
    # request still running.
    os._exit(0)


def _die_with(parent):
    """Exits when Node exits, even if it was SIGKILLed and could not close the channel."""
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # Not Linux: the channel's end of file still stops the bridge.
    if os.getppid() != parent:
        os._exit(0)


def _read(channel, workers, requests, logs, make_request, inline):
    while True:
        got = channel.read()
        if got is None:
            return
        kind, rid, payload = got
        if kind == b'H':
            # script, body flag, response window, milliseconds to the deadline (0: none), then
            # environ keys and values; NUL-separated Latin-1, which is what PEP 3333's native
            # strings are.
            fields = payload.decode('latin-1').split('\0')
            pairs = iter(fields[4:])
            has_body, window = fields[1] == '1', int(fields[2])
            req = make_request(channel, rid, fields[0], dict(zip(pairs, pairs)), has_body, window)
            req.errors = ErrorStream(logs, rid)
            requests[rid] = req
            if inline is not None and not has_body and not window:
                deadline.run_inline(req, inline, int(fields[3]) / 1000.0, channel)
            else:
                workers.submit(req)
            continue
        req = requests.get(rid)
        if req is None:
            continue  # The request has finished; its late body frames are dropped.
        if kind == b'B':
            req.input.feed(payload)
        elif kind == b'E':
            req.input.end()
        elif kind == b'X':
            req.abort()
        elif kind == b'T':
            req.expire()
        elif kind == b'A':
            req.credit(int(payload))


class Workers(object):
    """The request threads. The most recently idle one takes the next request: its caches are
    warm, which a queue waking threads in turn would not give."""

    def __init__(self, count, run):
        self._run = run
        self._idle = []
        self._backlog = collections.deque()
        self._lock = threading.Lock()
        for n in range(count):
            thread = threading.Thread(target=self._loop, args=(threading.Lock(),), name='wsgi-%d' % n)
            thread.daemon = True
            thread.start()

    def submit(self, req):
        with self._lock:
            if not self._idle:
                self._backlog.append(req)
                return
            worker = self._idle.pop()
        worker[1] = req
        worker[0].release()

    def _loop(self, wake):
        wake.acquire()
        worker = [wake, None]
        while True:
            with self._lock:
                req = self._backlog.popleft() if self._backlog else None
                if req is None:
                    self._idle.append(worker)
            if req is None:
                wake.acquire()
                req = worker[1]
            self._run(req)


def _run(req, requests, run):
    try:
        run(req)
    except BaseException:
        # A DeadlineExceededError that landed in the bridge's own code as the app returned.
        if not req.finished:
            req.seal()
            req.finish(req.outcome)
    finally:
        local.request = None
        requests.pop(req.id, None)
