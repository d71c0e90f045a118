# gunicorn settings, read by the entrypoint's `-c gunicorn.conf.py`.
# Two worker processes; App Engine flex sends an instance many requests at once.
workers = 2
threads = 4
# App Engine stops an instance with SIGTERM and waits; finish requests in flight within this.
graceful_timeout = 5
# Request lines go to stdout, which appyaml (like App Engine) collects as the app's logs.
accesslog = '-'
