/**
 * The hostile-input fixture app: every kind of file a static handler must refuse sits next to the
 * ones it may serve, and each refused file holds a marker string that no response may contain.
 */
/** Strings that only exist inside files no response may ever carry. */
export const MARKERS = {
  outside: 'MARKER-OUTSIDE-ROOT-7c1e',
  sibling: 'MARKER-SIBLING-PREFIX-9a42',
  notUploaded: 'MARKER-NOT-UPLOADED-31fd',
  dotfile: 'MARKER-DOTFILE-b6e0',
  skipped: 'MARKER-SKIPPED-5d88',
  source: 'MARKER-SOURCE-e21c',
  config: 'MARKER-APPYAML-40aa',
} as const;

export const ALL_MARKERS: readonly string[] = Object.values(MARKERS);

/** The app's handlers: static_dir, `\1` static_files with upload, a secure one, CGI scripts, and a catch-all WSGI app. */
export function appYamlText(stateDir: string): string {
  return String.raw`runtime: python27
api_version: 1
threadsafe: false
# ${MARKERS.config}
env_variables:
  HARDEN_STATE: '${stateDir}'
handlers:
- url: /static
  static_dir: static
- url: /img/(.*)
  static_files: static/img/\1
  upload: static/img/.*
- url: /dots(.*)
  static_files: static/\1
  upload: static/.*
- url: /files/(.*)
  static_files: \1
  upload: static/.*
- url: /secure/(.*)
  static_files: static/\1
  upload: static/.*
  secure: always
- url: /cgi/ok
  script: cgi/ok.py
- url: /cgi/env
  script: cgi/env.py
- url: /cgi/shock
  script: cgi/shock.py
- url: /cgi/fault/(noblank|longheader|emptyname|newlinename|status-abc|status-99|status-1000|location|hang|hangc|huge|diemid|slow)
  script: cgi/fault.py
- url: /.*
  script: main.app
`;
}

/** The catch-all WSGI app: one path per behaviour the corpus and the fault tests need. */
export const MAIN_PY = String.raw`# ${MARKERS.source}
import os, select, subprocess, time

STATE = os.environ['HARDEN_STATE']

def note(name, value):
    with open(os.path.join(STATE, name), 'w') as f:
        f.write(str(value))

def block():
    # Blocked in C and deaf to DeadlineExceededError (which SIGALRM can raise even in select()):
    # only a kill ends it.
    while True:
        try:
            select.select([], [], [], 60)
        except BaseException:
            pass

def app(environ, start_response):
    path = environ['PATH_INFO']
    plain = [('Content-Type', 'text/plain')]
    if path == '/wsgi/hello':
        start_response('200 OK', plain)
        return [b'hello from wsgi']
    if path == '/wsgi/env':
        keys = sorted(k + '=' + str(v) for k, v in environ.items() if k.startswith('HTTP_'))
        start_response('200 OK', plain)
        return ['\n'.join(keys).encode('latin-1')]
    if path == '/wsgi/body':
        size = 0
        while True:
            chunk = environ['wsgi.input'].read(65536)
            if not chunk:
                break
            size += len(chunk)
        start_response('200 OK', plain)
        return [str(size).encode()]
    if path == '/wsgi/download':
        start_response('200 OK', plain)
        return [b'd' * (8 * 1024 * 1024)]
    if path == '/wsgi/raise':
        raise RuntimeError('boom ' + STATE)
    if path == '/wsgi/nostart':
        return [b'no start_response']
    if path == '/wsgi/twice':
        start_response('200 OK', plain)
        start_response('200 OK', plain)
        return [b'twice']
    if path == '/wsgi/status-200OK':
        start_response('200OK', plain)
        return [b'x']
    if path == '/wsgi/status-2000':
        start_response('2000 X', plain)
        return [b'x']
    if path == '/wsgi/header-crlf':
        start_response('200 OK', [('X-Split', 'a\r\nSet-Cookie: owned=1')])
        return [b'x']
    if path == '/wsgi/header-nul':
        start_response('200 OK', [('X-Nul', 'a\x00b')])
        return [b'x']
    if path == '/wsgi/header-name':
        start_response('200 OK', [('Bad Name', 'x')])
        return [b'x']
    if path == '/wsgi/header-hop':
        start_response('200 OK', [('Transfer-Encoding', 'chunked')])
        return [b'x']
    if path == '/wsgi/str-body':
        start_response('200 OK', plain)
        return ['not bytes']
    if path == '/wsgi/short':
        start_response('200 OK', [('Content-Length', '100')])
        return [b'only ten b']
    if path == '/wsgi/huge':
        start_response('200 OK', plain)
        return (b'h' * (1024 * 1024) for _ in range(40))
    if path == '/wsgi/garbage-stdio':
        os.write(1, b'\x00\xff\r\n\x1b[2J garbage')
        os.write(2, bytes(range(256)))
        start_response('200 OK', plain)
        return [b'survived garbage']
    if path in ('/wsgi/hang', '/wsgi/hang-left'):
        note(path[6:] + '.pid', os.getpid())
        block()
    if path == '/wsgi/grandchild':
        child = subprocess.Popen(['sleep', '30'])
        note('grandchild.pid', child.pid)
        note('grandchild-parent.pid', os.getpid())
        block()
    if path == '/wsgi/stubborn':
        # signal.signal() only works on the main thread: a child that ignores SIGTERM instead.
        child = subprocess.Popen(['sh', '-c', 'trap "" TERM; exec sleep 60'])
        note('stubborn.pid', child.pid)
        block()
    if path == '/wsgi/interruptible':
        note('interruptible.pid', os.getpid())
        select.select([], [], [], 60)
    if path == '/wsgi/swallow':
        # Catches DeadlineExceededError and keeps going, as a careless app would.
        note('swallow.pid', os.getpid())
        while True:
            try:
                time.sleep(60)
            except BaseException:
                pass
    if path == '/wsgi/kill-me':
        note('kill-me.pid', os.getpid())
        block()
    start_response('404 Not Found', plain)
    return [b'wsgi: no such page']
`;

/** CGI scripts (RFC 3875, python27 style). */
export const CGI_FILES: Record<string, string> = {
  'cgi/ok.py': `# ${MARKERS.source}\nimport sys\nsys.stdout.write('Content-Type: text/plain\\r\\n\\r\\nhello from cgi')\n`,
  'cgi/env.py': String.raw`# ${MARKERS.source}
import os, sys
keys = sorted(k + '=' + v for k, v in os.environ.items() if k.startswith('HTTP_'))
sys.stdout.write('Content-Type: text/plain\r\n\r\n' + '\n'.join(keys))
`,
  'cgi/shock.py': String.raw`# ${MARKERS.source}
import subprocess, sys
# A shell started with the request's environment: a Shellshock-prone bash would run the payload.
subprocess.run(['bash', '-c', 'true'])
sys.stdout.write('Content-Type: text/plain\r\n\r\nshock done')
`,
  'cgi/fault.py': String.raw`# ${MARKERS.source}
import os, sys, time
kind = os.environ.get('PATH_INFO', '').rsplit('/', 1)[-1]
out = sys.stdout.buffer
state = os.environ.get('HARDEN_STATE', '/tmp')
def note(name):
    with open(os.path.join(state, name), 'w') as f:
        f.write(str(os.getpid()))
if kind == 'noblank':
    out.write(b'Content-Type: text/plain\r\n')
elif kind == 'longheader':
    out.write(b'X-Long: ' + b'a' * (1024 * 1024) + b'\r\nContent-Type: text/plain\r\n\r\nx')
elif kind == 'emptyname':
    out.write(b': value\r\nContent-Type: text/plain\r\n\r\nx')
elif kind == 'newlinename':
    out.write(b'F\noo: bar\r\nContent-Type: text/plain\r\n\r\nx')
elif kind.startswith('status-'):
    out.write(b'Status: ' + kind[7:].encode() + b'\r\nContent-Type: text/plain\r\n\r\nx')
elif kind == 'location':
    out.write(b'Location: https://example.test/elsewhere\r\n\r\n')
elif kind == 'hang':
    note('cgi-hang.pid')
    time.sleep(600)
elif kind == 'hangc':
    # Blocked in C and deaf to DeadlineExceededError: a cached worker must then be killed.
    import select
    note('cgi-hangc.pid')
    while True:
        try:
            select.select([], [], [], 60)
        except BaseException:
            pass
elif kind == 'huge':
    note('cgi-huge.pid')
    out.write(b'Content-Type: text/plain\r\n\r\n')
    for _ in range(40):
        out.write(b'h' * (1024 * 1024))
elif kind == 'diemid':
    out.write(b'Content-Type: text/plain\r\n\r\n' + b'p' * 100000)
    out.flush()
    os._exit(3)
elif kind == 'slow':
    note('cgi-slow.pid')
    out.write(b'Content-Type: text/plain\r\n\r\n')
    for _ in range(600):
        out.write(b's' * 65536)
        out.flush()
        time.sleep(0.05)
out.flush()
`,
};

/** A flex app whose own HTTP server (raw sockets, stdlib only) misbehaves on purpose, one path per fault. */
export function flexAppYaml(entrypoint: string): string {
  return `runtime: python\nenv: flex\n# ${MARKERS.config}\nentrypoint: ${entrypoint}\n`;
}

export const FLEX_SERVER_PY = String.raw`# ${MARKERS.source}
import os, socket, struct, threading

REPLIES = {
    '/early': b'HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal',
    '/continue': b'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal',
    '/switch': b'HTTP/1.1 101 Switching Protocols\r\nUpgrade: evil\r\nConnection: Upgrade\r\n\r\nraw bytes',
    '/huge-length': b'HTTP/1.1 200 OK\r\nContent-Length: 40000000\r\n\r\nabc',
    '/header-cr': b'HTTP/1.1 200 OK\r\nX-Split: a\rSet-Cookie: owned=1\r\nContent-Length: 1\r\n\r\nx',
    '/status-garbage': b'HTTP/1.1 2000 Nope\r\nContent-Length: 1\r\n\r\nx',
}

def handle(conn):
    data = b''
    while b'\r\n\r\n' not in data:
        chunk = conn.recv(65536)
        if not chunk:
            conn.close()
            return
        data += chunk
    path = data.split(b' ', 2)[1].decode('latin-1').split('?')[0]
    if path == '/reset':
        conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n' + b'r' * 1000)
        # An RST instead of a FIN, mid-body.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    else:
        conn.sendall(REPLIES.get(path, b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok'))
    conn.close()

server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(('127.0.0.1', int(os.environ['PORT'])))
server.listen(64)
while True:
    conn, _ = server.accept()
    threading.Thread(target=handle, args=(conn,), daemon=True).start()
`;
