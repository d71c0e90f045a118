"""Frames between Node and the bridge, on one socket (fd 3).

A frame is: type (1 ASCII byte), request id (u32 big-endian, 0 for the instance itself),
payload length (u32 big-endian), payload. Node to bridge: I init, H head, B body chunk, E end of
body, X abort (client gone), T deadline, A response bytes consumed. Bridge to Node: Y ready,
R failed, S status and headers, D body chunk, F finished, L log line, A request bytes consumed.
"""
import json
import os
import signal
import socket
import struct
import threading

HEAD = struct.Struct('>cII')
# Larger than anything Node sends (a request head is bounded by Node's header limit).
MAX_PAYLOAD = 16 << 20


class Channel(object):
    def __init__(self, fd):
        self._sock = socket.socket(fileno=fd)
        self._sock.setblocking(True)
        self._rfile = self._sock.makefile('rb', buffering=1 << 16)
        self._lock = threading.Lock()
        # Set while a request runs on the main thread with its deadline armed (deadline.py).
        self.guard_writes = False

    def read(self):
        """The next frame as (type, id, payload), or None once Node has gone."""
        try:
            head = self._rfile.read(HEAD.size)
            if len(head) < HEAD.size:
                return None
            kind, rid, size = HEAD.unpack(head)
            if size > MAX_PAYLOAD:
                return None
            payload = self._rfile.read(size) if size else b''
        except OSError:
            return None
        if len(payload) < size:
            return None
        return kind, rid, payload

    def send(self, kind, rid, payload=b''):
        # One sendall per frame: an asynchronous DeadlineExceededError fires between bytecodes,
        # never inside it, so a frame is never cut in half.
        self.write(HEAD.pack(kind, rid, len(payload)) + payload)

    def send_json(self, kind, rid, value):
        self.send(kind, rid, json.dumps(value).encode('utf-8'))

    def write(self, data):
        """Writes already framed bytes (see frame())."""
        try:
            with self._lock:
                if self.guard_writes:
                    # SIGALRM's DeadlineExceededError would cut the frame mid-way: it waits.
                    signal.pthread_sigmask(signal.SIG_BLOCK, (signal.SIGALRM,))
                    try:
                        self._sock.sendall(data)
                    finally:
                        signal.pthread_sigmask(signal.SIG_UNBLOCK, (signal.SIGALRM,))
                else:
                    self._sock.sendall(data)
        except OSError:
            # Node is gone: nothing left to serve.
            os._exit(0)


def frame(kind, rid, payload=b''):
    return HEAD.pack(kind, rid, len(payload)) + payload
