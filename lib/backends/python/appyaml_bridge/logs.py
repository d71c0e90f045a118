"""Log lines to Node: `logging` records, print() and wsgi.errors, tagged with the request.

Each line becomes an L frame whose id is the request's (0 outside a request), with the record's
Cloud Logging severity; Node writes it with the request's log id and trace.
"""
import io
import logging
import sys
import threading

# Longer lines are cut; Node cuts again at its own limit.
MAX_MESSAGE = 64 << 10

local = threading.local()


def current_request():
    """The request the calling thread is serving, or None."""
    return getattr(local, 'request', None)


def severity(levelno):
    if levelno >= logging.CRITICAL:
        return 'CRITICAL'
    if levelno >= logging.ERROR:
        return 'ERROR'
    if levelno >= logging.WARNING:
        return 'WARNING'
    if levelno >= logging.INFO:
        return 'INFO'
    return 'DEBUG'


class Logs(object):
    def __init__(self, channel):
        self._channel = channel
        self._streams = ()

    def line(self, rid, level, message, source=None):
        if len(message) > MAX_MESSAGE:
            message = message[:MAX_MESSAGE] + '... [truncated]'
        entry = {'s': level, 'm': message}
        if source:
            entry['src'] = source
        self._channel.send_json(b'L', rid, entry)

    def install(self):
        """Routes the root logger (at DEBUG, as App Engine's python27 did) and stdout/stderr here."""
        root = logging.getLogger()
        root.addHandler(_Handler(self))
        root.setLevel(logging.DEBUG)
        self._streams = (LineStream(self, 'INFO', sys.__stdout__), LineStream(self, 'ERROR', sys.__stderr__))
        sys.stdout, sys.stderr = self._streams

    def flush_thread(self):
        """Sends the calling thread's unfinished print() line, at the end of its request."""
        for stream in self._streams:
            stream.flush()


class _Handler(logging.Handler):
    def __init__(self, logs):
        logging.Handler.__init__(self, logging.DEBUG)
        self._logs = logs
        self.setFormatter(logging.Formatter('%(message)s'))

    def emit(self, record):
        try:
            req = current_request()
            source = {'file': record.pathname, 'line': record.lineno, 'function': record.funcName}
            self._logs.line(req.id if req else 0, severity(record.levelno), self.format(record), source)
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)


class LineStream(io.TextIOBase):
    """sys.stdout or sys.stderr: complete lines become log lines, tagged with the request the
    writing thread serves; each thread has its own partial line."""

    def __init__(self, logs, level, raw):
        io.TextIOBase.__init__(self)
        self._logs = logs
        self._level = level
        self._raw = raw
        self._local = threading.local()

    @property
    def encoding(self):
        return 'utf-8'

    def writable(self):
        return True

    def fileno(self):
        # C code and faulthandler write to the real descriptor, which Node also captures.
        return self._raw.fileno()

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError('write() argument must be str, not %s' % type(text).__name__)
        local = self._local
        parts = getattr(local, 'parts', None)
        if parts is None:
            parts = local.parts = []
        parts.append(text)
        if '\n' in text:
            lines = ''.join(parts).split('\n')
            parts[:] = [lines.pop()] if lines[-1] else []
            req = current_request()
            for line in lines:
                self._logs.line(req.id if req else 0, self._level, line.rstrip('\r'))
        return len(text)

    def flush(self):
        parts = getattr(self._local, 'parts', None)
        if parts:
            rest = ''.join(parts)
            del parts[:]
            req = current_request()
            self._logs.line(req.id if req else 0, self._level, rest)


class ErrorStream(object):
    """A request's wsgi.errors: its lines are ERROR log lines tagged with the request, whichever
    thread writes them."""

    __slots__ = ('_logs', '_id', '_parts')

    def __init__(self, logs, rid):
        self._logs = logs
        self._id = rid
        self._parts = []

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError('write() argument must be str, not %s' % type(text).__name__)
        self._parts.append(text)
        if '\n' in text:
            lines = ''.join(self._parts).split('\n')
            self._parts = [lines.pop()] if lines[-1] else []
            for line in lines:
                self._logs.line(self._id, 'ERROR', line.rstrip('\r'))

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        if self._parts:
            rest = ''.join(self._parts)
            self._parts = []
            self._logs.line(self._id, 'ERROR', rest)
