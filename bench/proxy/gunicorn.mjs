// The gunicorn command line of the end-to-end rows, hit directly and run as appyaml's entrypoint
// alike: Debian's gunicorn, two gthread workers (keep-alive, unlike the sync worker), the Flask app in app/.
export const gunicornCommand = (port) => `/usr/bin/gunicorn -w 2 -k gthread --threads 4 -b 127.0.0.1:${port} main:app`;
