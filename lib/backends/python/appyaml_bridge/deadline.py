"""DeadlineExceededError, raised in a request's thread when its deadline comes.

On a worker thread Node says when, with a T frame, and there are two ways in, so that exactly one
exception reaches the app: a thread blocked in the bridge (time.sleep, reading wsgi.input,
waiting for the client to take the response) is woken and raises it there; a thread running
Python code gets it asynchronously (PyThreadState_SetAsyncExc), which Python delivers at the next
bytecode. A thread stuck in other C code (a socket read) is not interrupted: Node then kills the
instance about a second later.

A request served on the main thread (run_inline) cannot read the T frame, so the bridge times it
itself: SIGALRM at the time the head gave, whose handler raises in the app's code, blocking
system calls included (as App Engine's own runtime did).
"""
import ctypes
import signal
import time

from .logs import current_request

# The class raised: set by install(), once the app's folder is on sys.path.
DeadlineExceededError = None

_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)
_sleep = time.sleep


def raise_in_thread(thread_id):
    if _set_async_exc(thread_id, DeadlineExceededError) > 1:
        # Never happens for a live thread id; undo rather than hit several threads.
        _set_async_exc(thread_id, None)


def sleep(seconds):
    """time.sleep, woken by the deadline inside a request."""
    req = current_request()
    if req is None or seconds <= 0:
        return _sleep(seconds)
    with req.lock:
        req.block(lambda: False, seconds)
    return None


# The request run_inline is serving, for the SIGALRM handler.
_inline = None


def _on_alarm(signum, frame):
    req = _inline
    # No lock: the handler runs on the request's own thread, which may hold it.
    if req is None or req.done or req.deadline_hit:
        return
    req.deadline_hit = True
    raise DeadlineExceededError()


def run_inline(req, run, seconds, channel):
    """Runs `run(req)` on the main thread with its deadline `seconds` away (0: none)."""
    global _inline
    if seconds <= 0:
        return run(req)
    _inline = req
    channel.guard_writes = True
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        run(req)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        channel.guard_writes = False
        _inline = None
    return None


def install():
    """Picks the class and makes time.sleep interruptible; call before the app is imported."""
    global DeadlineExceededError
    try:
        # The SDK's class when the app ships the SDK, else the shim next to the bridge: either
        # way the one `from google.appengine.runtime import DeadlineExceededError` gives the app.
        from google.appengine.runtime import DeadlineExceededError as found
    except ImportError:
        class found(BaseException):
            pass
    DeadlineExceededError = found
    signal.signal(signal.SIGALRM, _on_alarm)
    # Apps that run `from time import sleep` at import time get this one too.
    time.sleep = sleep
