"""DeadlineExceededError, raised in a request's thread when Node says its deadline came.

Two ways in, so that exactly one exception reaches the app: a thread blocked in the bridge
(time.sleep, reading wsgi.input, waiting for the client to take the response) is woken and raises
it there; a thread running Python code gets it asynchronously (PyThreadState_SetAsyncExc), which
Python delivers at the next bytecode. A thread stuck in other C code (a socket read) is not
interrupted: Node then kills the instance about a second later.
"""
import ctypes
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
    # Apps that run `from time import sleep` at import time get this one too.
    time.sleep = sleep
