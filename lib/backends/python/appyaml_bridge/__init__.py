"""The WSGI bridge's modules; wsgi_bridge.py is the entry point."""
