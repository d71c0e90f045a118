"""One request in the bridge: wsgi.input, start_response, the write callable, the body frames.

The status and headers are checked here as PEP 3333 and App Engine require (Node checks them
again); any misuse is fatal for the request: it ends in 500 even if the app catches the error.
"""
import re
import threading
import time

from . import deadline
from .channel import frame

STATUS = re.compile(r'[2-5][0-9][0-9] [\t\x20-\x7e\x80-\xff]*\Z')
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
VALUE = re.compile(r'[\t\x20-\x7e\x80-\xff]*\Z')
# wsgiref.util's hop-by-hop list, plus Proxy-Connection; Node frames the response itself.
HOP_BY_HOP = frozenset([
    'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection',
    'te', 'trailer', 'trailers', 'transfer-encoding', 'upgrade',
])
# Body frames stay small enough for Node to interleave other requests' frames.
CHUNK = 256 << 10
# wsgi.input acknowledges what the app has read in steps this big (Node's window is 256 KiB).
ACK_EVERY = 64 << 10


# Statuses and (name, value) pairs already found valid: apps send the same few again and again.
_VALID = set()


def _remember(item):
    if len(_VALID) >= 4096:
        _VALID.clear()
    _VALID.add(item)


class ResponseError(Exception):
    """The app broke the WSGI contract."""


class ClientGone(IOError):
    """Raised from wsgi.input and write() once the client has gone."""


class Request(object):
    def __init__(self, channel, rid, script, environ, has_body, window):
        self.channel = channel
        self.id = rid
        self.script = script
        self.environ = environ
        # One lock for the request's state; the condition to wait on it is made by the first
        # wait (most requests never wait).
        self.lock = threading.Lock()
        self._cond = None
        self.input = Input(self, has_body)
        self.errors = None
        # Response credit in bytes (streamed responses); 0: Node takes everything.
        self.window = window
        self.unacked = 0
        self.status = None
        self.headers = None
        self.started = False
        self.fatal = None
        self.out = []
        self.aborted = False
        self.done = False
        self.thread = None
        self.blocked = False
        self.deadline_hit = False
        self.deadline_pending = False
        # What serve() concluded (an error message, or None), and whether F/R went out.
        self.outcome = 'the request was interrupted'
        self.finished = False

    # -- called from the reader thread -------------------------------------------------------

    def notify(self):
        """Wakes the request's thread if it waits in block() (self.lock held)."""
        if self._cond is not None:
            self._cond.notify_all()

    def abort(self):
        with self.lock:
            self.aborted = True
            self.notify()

    def credit(self, size):
        with self.lock:
            self.unacked -= size
            self.notify()

    def expire(self):
        with self.lock:
            if self.done or self.deadline_hit:
                return
            self.deadline_hit = True
            if self.thread is None:
                return
            if self.blocked:
                self.deadline_pending = True
                self.notify()
            else:
                deadline.raise_in_thread(self.thread)

    # -- called from the request's thread ----------------------------------------------------

    def begin(self, thread_id):
        """Binds the request to its thread; raises at once if the deadline already came."""
        with self.lock:
            self.thread = thread_id
            if self.deadline_hit:
                raise deadline.DeadlineExceededError()

    def block(self, ready, timeout=None):
        """Waits (self.lock held) until ready() or the timeout; the deadline interrupts it."""
        if self._cond is None:
            self._cond = threading.Condition(self.lock)
        end = None if timeout is None else time.monotonic() + timeout
        self.blocked = True
        try:
            while not ready():
                if self.deadline_pending:
                    self.deadline_pending = False
                    raise deadline.DeadlineExceededError()
                if end is None:
                    self._cond.wait()
                else:
                    left = end - time.monotonic()
                    if left <= 0:
                        return
                    self._cond.wait(left)
        finally:
            self.blocked = False

    def seal(self):
        """No deadline is delivered after this: the app's code has all returned."""
        with self.lock:
            self.done = True

    def fail(self, message):
        self.fatal = self.fatal or message
        raise ResponseError(self.fatal)

    def start_response(self, status, headers, exc_info=None):
        if exc_info is not None:
            try:
                if self.started:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            self.fail('start_response() called a second time without exc_info')
        self.status, self.headers = self._checked(status, headers)
        return self.write

    def _checked(self, status, headers):
        if type(status) is not str or (status not in _VALID and not STATUS.match(status)):
            self.fail('invalid status %r: must be a str like "200 OK" with a code from 200 to 599' % (status,))
        if type(headers) is not list:
            self.fail('response headers must be a list, not %s' % type(headers).__name__)
        flat = [status]
        for header in headers:
            if type(header) not in (tuple, list) or len(header) != 2:
                self.fail('each response header must be a (name, value) tuple, not %r' % (header,))
            name, value = header
            if type(name) is str and type(value) is str and (name, value) in _VALID:
                flat.append(name)
                flat.append(value)
                continue
            if type(name) is not str or not TOKEN.match(name):
                self.fail('invalid response header name %r' % (name,))
            if type(value) is not str or not VALUE.match(value):
                self.fail('invalid value for response header %s: %r' % (name, value))
            if name.lower() in HOP_BY_HOP:
                self.fail('hop-by-hop response header %s is not allowed in WSGI' % name)
            _remember((name, value))
            flat.append(name)
            flat.append(value)
        if status not in _VALID:
            _remember(status)
        return status, flat

    def write(self, data):
        """PEP 3333's write callable: sends at once."""
        if self.status is None:
            self.fail('write() called before start_response()')
        if self.aborted:
            raise ClientGone('client disconnected')
        self.body(data)
        self.flush()

    def body(self, data):
        """Queues a body chunk (sent by flush()); the first non-empty one sends the headers too."""
        if type(data) is not bytes:
            if not isinstance(data, (bytearray, memoryview)):
                self.fail('response body items must be bytes, not %s' % type(data).__name__)
            data = bytes(data)
        if not data:
            return
        if self.status is None:
            self.fail('the app returned a body without calling start_response()')
        out = self.out
        if not self.started:
            self.started = True
            out.append(frame(b'S', self.id, '\0'.join(self.headers).encode('latin-1')))
        size = len(data)
        if size <= CHUNK:
            out.append(frame(b'D', self.id, data))
        else:
            for at in range(0, size, CHUNK):
                out.append(frame(b'D', self.id, data[at:at + CHUNK]))
        if self.window:
            self.unacked += size

    def flush(self):
        if self.out:
            data = b''.join(self.out)
            del self.out[:]
            self.channel.write(data)
        if self.window and self.unacked >= self.window:
            with self.lock:
                self.block(lambda: self.unacked < self.window or self.aborted)

    def finish(self, error):
        """The request's last frames: F after a whole response, R (message) after a failure."""
        self.finished = True
        if error is None and self.fatal is not None:
            error = self.fatal
        if error is None and self.status is None:
            error = 'the app returned without calling start_response()'
        if error is None:
            if not self.started:
                self.started = True
                self.out.append(frame(b'S', self.id, '\0'.join(self.headers).encode('latin-1')))
            self.out.append(frame(b'F', self.id))
            self.channel.write(b''.join(self.out))
        else:
            self.channel.send_json(b'R', self.id, {'m': error})
        del self.out[:]


class Input(object):
    """wsgi.input: the body as Node sends it, ending at CONTENT_LENGTH.

    Node sends at most a window ahead of the credit given back in A frames: credit for what the
    app has read, and for everything received whenever the app waits for more than it has (a
    read() of the whole body, a long line), so the window never stalls a reader.
    """

    def __init__(self, req, has_body):
        self._req = req
        self._buf = bytearray()
        self._eof = not has_body
        self._received = 0
        self._consumed = 0
        self._acked = 0

    def feed(self, data):
        with self._req.lock:
            self._buf += data
            self._received += len(data)
            self._req.notify()

    def end(self):
        with self._req.lock:
            self._eof = True
            self._req.notify()

    def read(self, size=-1):
        with self._req.lock:
            if size is None or size < 0:
                self._wait(lambda: self._eof)
                return self._take(len(self._buf))
            self._wait(lambda: len(self._buf) >= size or self._eof)
            return self._take(min(size, len(self._buf)))

    def readline(self, size=-1):
        if size is None:
            size = -1
        with self._req.lock:
            def ready():
                return b'\n' in self._buf or self._eof or 0 <= size <= len(self._buf)
            self._wait(ready)
            end = self._buf.find(b'\n') + 1 or len(self._buf)
            return self._take(end if size < 0 else min(end, size))

    def readlines(self, hint=-1):
        lines = []
        total = 0
        for line in self:
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                break
        return lines

    def __iter__(self):
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    def _wait(self, ready):
        req = self._req
        while not ready():
            if req.aborted:
                raise ClientGone('client disconnected')
            self._ack(self._received)
            seen = self._received
            req.block(lambda: ready() or req.aborted or self._received > seen)

    def _take(self, size):
        data = bytes(self._buf[:size])
        del self._buf[:size]
        self._consumed += size
        if not self._eof and (self._consumed - self._acked >= ACK_EVERY or not self._buf):
            self._ack(self._consumed)
        return data

    def _ack(self, upto):
        if upto > self._acked:
            self._req.channel.send(b'A', self._req.id, str(upto - self._acked).encode('ascii'))
            self._acked = upto
