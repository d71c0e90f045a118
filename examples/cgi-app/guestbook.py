"""A python27-style CGI script with App Engine's app caching.

App Engine runs a CGI script once per instance. Because this module defines main(), later
requests to the same instance call main() again instead of re-running the whole file, so
module-level state (here: when the module was loaded, how many requests it served) survives
between requests. appyaml's CGI backend does the same by default (its `cached` mode).
"""
import os
import sys
import time

LOADED_AT = time.time()
served = 0


def main():
    global served
    served += 1
    path = os.environ.get('PATH_INFO', '/')
    body = (
        'Hello from a cached CGI script.\n'
        'path: {}\n'
        'requests served by this instance: {}\n'
        'module loaded at: {:.6f}\n'
        'request id hash: {}\n'
    ).format(path, served, LOADED_AT, os.environ.get('REQUEST_ID_HASH', ''))
    # CGI: headers, a blank line, then the body, on stdout.
    sys.stdout.write('Content-Type: text/plain; charset=utf-8\r\n\r\n')
    sys.stdout.write(body)


if __name__ == '__main__':
    main()
