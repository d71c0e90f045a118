"""CGI scripts run in the worker, as App Engine's python27 runtime ran them ("app caching").

Per request, os.environ becomes the worker's own variables plus the request's meta-variables,
sys.stdin the body, and sys.stdout a capture whose bytes go to Node in D frames (Node parses
them as CGI output, as it does a spawned script's). The script runs as __main__ in its folder.
A script that defines a main() taking no arguments is cached after its first run, and later
requests only call main(); any other script runs whole each time. Modules a script imports stay
in sys.modules either way.
"""
import builtins
import inspect
import io
import os
import sys
import threading
import traceback
import types

from .logs import local
from .request import ClientGone, Request

# Output frames stay small enough for Node to interleave other frames.
CHUNK = 256 << 10


class CgiRequest(Request):
    """A request whose response is the script's raw stdout (D frames), ended by F or R."""

    def finish(self, error):
        self.finished = True
        if error is None:
            self.channel.send(b'F', self.id)
        else:
            self.channel.send_json(b'R', self.id, {'m': error})


class _Output(io.RawIOBase):
    """The script's stdout: bytes to Node as they are written."""

    def __init__(self, req):
        io.RawIOBase.__init__(self)
        self._req = req

    def writable(self):
        return True

    def write(self, data):
        req = self._req
        if req.done:
            return len(data)  # Left in the buffer by a failed run; the request is over.
        if req.aborted:
            # Node stopped listening (client gone, output too large): the script stops here.
            raise ClientGone('client disconnected')
        data = bytes(data)
        for at in range(0, len(data), CHUNK):
            req.channel.send(b'D', req.id, data[at:at + CHUNK])
        return len(data)


class _Input(io.RawIOBase):
    """The body as stdin, ending at CONTENT_LENGTH."""

    def __init__(self, source):
        io.RawIOBase.__init__(self)
        self._source = source

    def readable(self):
        return True

    def readinto(self, buf):
        data = self._source.read(len(buf))
        buf[:len(data)] = data
        return len(data)


def _takes_no_arguments(main):
    if not callable(main):
        return False
    try:
        params = inspect.signature(main).parameters.values()
    except (TypeError, ValueError):
        return False
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)


class CgiScripts(object):
    def __init__(self, logs):
        self._logs = logs
        self._root = os.getcwd()
        # What every request's os.environ starts from: the worker's own environment.
        self._base = dict(os.environ)
        self._code = {}
        self._mains = {}

    def serve(self, req):
        """Runs one request; always ends with the request's F or R frame."""
        local.request = req
        saved = sys.stdin, sys.stdout, sys.argv, sys.modules.get('__main__')
        folder = os.path.dirname(req.script)
        sys.path.insert(0, folder)
        error = None
        try:
            req.begin(threading.get_ident())
            self._environ(req.environ)
            os.chdir(folder)
            sys.stdin = io.TextIOWrapper(io.BufferedReader(_Input(req.input)), encoding='utf-8', errors='surrogateescape')
            sys.stdout = io.TextIOWrapper(io.BufferedWriter(_Output(req), CHUNK), encoding='utf-8')
            sys.argv = [req.script]
            try:
                self._run(req.script)
            except SystemExit as exit:
                if exit.code not in (None, 0):
                    raise
            sys.stdout.flush()
        except BaseException as err:
            error = self._failure(req, err)
        finally:
            sys.stdin, sys.stdout, sys.argv = saved[:3]
            if saved[3] is not None:
                sys.modules['__main__'] = saved[3]
            if folder in sys.path:
                sys.path.remove(folder)
            os.chdir(self._root)
        req.outcome = error
        req.seal()
        req.errors.flush()
        self._logs.flush_thread()
        req.finish(error)

    def _environ(self, natives):
        """os.environ becomes the base plus the request's variables; only what differs from the
        previous request is changed (a putenv for every variable costs more than the script)."""
        wanted = dict(self._base)
        for key, value in natives.items():
            # Native strings (bytes as Latin-1) to the text a spawned script's os.environ holds.
            wanted[key] = value.encode('latin-1').decode('utf-8', 'surrogateescape')
        env = os.environ
        for key in [key for key in env if key not in wanted]:
            del env[key]
        for key, value in wanted.items():
            if env.get(key) != value:
                env[key] = value

    def _run(self, path):
        cached = self._mains.get(path)
        if cached is not None:
            sys.modules['__main__'] = cached[0]
            cached[1]()
            return
        code = self._code.get(path)
        if code is None:
            with open(path, 'rb') as source:
                code = self._code[path] = compile(source.read(), path, 'exec', dont_inherit=True)
        module = types.ModuleType('__main__')
        module.__file__ = path
        module.__builtins__ = builtins
        sys.modules['__main__'] = module
        exec(code, module.__dict__)
        main = module.__dict__.get('main')
        if _takes_no_arguments(main):
            self._mains[path] = (module, main)
            del self._code[path]

    def _failure(self, req, err):
        """Logs what went wrong (traceback to the log, never to the client); returns the message."""
        if req.aborted and isinstance(err, ClientGone):
            return 'client disconnected'
        self._logs.line(req.id, 'ERROR', traceback.format_exc().rstrip('\n'))
        text = str(err)
        return '%s: %s' % (type(err).__name__, text) if text else type(err).__name__
