"""The one piece of Google's App Engine SDK that apps need from their runtime.

`from google.appengine.runtime import DeadlineExceededError` works under appyaml without the
SDK. `google` and `google.appengine` have no __init__.py here (PEP 420 namespace packages), so an
installed SDK or google-cloud-* library on sys.path is merged with, or preferred to, this shim.
"""


class DeadlineExceededError(BaseException):
    """Raised in a request's thread when the request reaches its deadline.

    As on App Engine, it is raised asynchronously, so it can appear to come from any line; it
    derives from BaseException so that `except Exception` does not swallow it. The app then has
    about a second to answer before the request fails and the instance is replaced.
    """
