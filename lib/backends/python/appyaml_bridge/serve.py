"""Loading WSGI callables from `script:` names and running one request through one."""
import importlib
import threading
import traceback

from .logs import local
from .request import ClientGone


class LoadError(Exception):
    pass


def load_object(name):
    """The object named by a dotted path, importing modules and packages as needed.

    As App Engine's python27 runtime (runtime/wsgi.py LoadObject): `pkg.mod.app` imports `pkg`,
    then takes each further name as an attribute, importing it as a submodule while the path
    is still made of packages. Returns (object, the file that holds it).
    """
    parts = name.split('.')
    obj = importlib.import_module(parts[0])
    path = parts[0]
    in_packages = True
    source = getattr(obj, '__file__', None)
    for part in parts[1:]:
        source = getattr(obj, '__file__', source)
        in_packages = in_packages and hasattr(obj, '__path__')
        path += '.' + part
        if hasattr(obj, part):
            obj = getattr(obj, part)
        elif in_packages:
            importlib.import_module(path)
            obj = getattr(obj, part)
        else:
            raise ImportError('%s has no attribute %s' % (path.rsplit('.', 1)[0], part))
    if not callable(obj):
        raise TypeError('%s is not a WSGI callable (it is a %s)' % (name, type(obj).__name__))
    return obj, source


class Apps(object):
    """Loaded callables by script name. A failed import is retried on the next request, as on
    App Engine; scripts named in app.yaml are loaded before the instance is ready."""

    def __init__(self, logs):
        self._logs = logs
        self._loaded = {}
        self._lock = threading.Lock()

    def preload(self, script):
        """Loads `script`; on failure returns the error message and traceback."""
        try:
            self._loaded[script] = load_object(script)
        except BaseException as err:
            return '%s: %s' % (script, _describe(err)), traceback.format_exc()
        return None

    def get(self, req):
        found = self._loaded.get(req.script)
        if found is not None:
            return found
        with self._lock:
            found = self._loaded.get(req.script)
            if found is None:
                try:
                    found = self._loaded[req.script] = load_object(req.script)
                except Exception as err:
                    self._logs.line(req.id, 'ERROR', 'Could not load %s:\n%s' % (req.script, traceback.format_exc()))
                    raise LoadError('%s: %s' % (req.script, _describe(err)))
        return found


def serve(req, apps, base, logs):
    """Runs one request; always ends with the request's F or R frame and the app's close()."""
    local.request = req
    error = None
    result = None
    try:
        req.begin(threading.get_ident())
        app, source = apps.get(req)
        environ = dict(base)
        environ.update(req.environ)
        environ['wsgi.input'] = req.input
        environ['wsgi.errors'] = req.errors
        if source:
            environ['PATH_TRANSLATED'] = source
        result = app(environ, req.start_response)
        if type(result) in (list, tuple):
            # Already complete: sent with the final frame, in one write.
            for chunk in result:
                req.body(chunk)
        else:
            for chunk in result:
                req.body(chunk)
                req.flush()
                if req.aborted:
                    break
    except BaseException as err:
        error = _failure(req, err, logs)
    finally:
        close = getattr(result, 'close', None)
        if close is not None:
            try:
                close()
            except BaseException as err:
                # The response is already whole; the failure is the app's to see in its log.
                _failure(req, err, logs)
    req.outcome = error
    req.seal()
    req.errors.flush()
    logs.flush_thread()
    req.finish(error)


def _failure(req, err, logs):
    """Logs what went wrong (traceback to the log, never to the client); returns the message."""
    if req.aborted and isinstance(err, ClientGone):
        return 'client disconnected'
    if not isinstance(err, LoadError):
        logs.line(req.id, 'ERROR', traceback.format_exc().rstrip('\n'))
    return _describe(err)


def _describe(err):
    text = str(err)
    return '%s: %s' % (type(err).__name__, text) if text else type(err).__name__
