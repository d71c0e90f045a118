"""appyaml's WSGI bridge: runs an App Engine app's WSGI callables for Node.

Started by appyaml (lib/backends/wsgi) with a socket on fd 3; everything it does is driven by
frames on that socket (see appyaml_bridge/channel.py). Standard library only, Python >= 3.8.
"""
import os
import sys

if sys.version_info < (3, 8):
    sys.stderr.write('appyaml: the WSGI bridge needs Python 3.8 or later, not %s\n' % sys.version.split()[0])
    sys.exit(2)

HERE = os.path.dirname(os.path.realpath(__file__))
# The script's folder is sys.path[0]; moved to the end so that the app's own modules win, while
# appyaml_bridge and the google.appengine.runtime shim stay importable.
if sys.path and os.path.realpath(sys.path[0] or os.curdir) == HERE:
    del sys.path[0]
sys.path.append(HERE)

from appyaml_bridge.main import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(main())
