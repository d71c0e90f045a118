/**
 * The bridge protocol's frames (the Python side: python/appyaml_bridge/channel.py): type (one
 * ASCII byte), request id (u32 BE; 0 for the instance), payload length (u32 BE), payload.
 */

/** Frame types, by their letter. */
export const Frame = {
  // Node → bridge
  Init: 0x49, // I: JSON {root, preload, environ, threads, multithread, mode: wsgi or cgi}
  Head: 0x48, // H: Latin-1 "script\0has body (0|1)\0response window (0: no limit)\0ms to the deadline (0: none)\0key\0value..."
  Body: 0x42, // B: request body bytes
  End: 0x45, // E: end of the request body
  Abort: 0x58, // X: the client is gone; stop iterating, close(), finish
  Deadline: 0x54, // T: raise DeadlineExceededError in the request's thread
  // both ways
  Ack: 0x41, // A: decimal count of bytes consumed (request body by the app, response body by Node)
  // bridge → Node
  Ready: 0x59, // Y: JSON {pid, python}, once the app is imported
  Failed: 0x52, // R: JSON {m: message, detail?}; for id 0, the app could not be loaded
  Start: 0x53, // S: latin-1 "status\0name\0value..."
  Data: 0x44, // D: response body bytes
  Finished: 0x46, // F: the response is complete and close() was called
  Log: 0x4c, // L: JSON {s: severity, m: message, src?}
} as const;

export const HEADER_BYTES = 9;
const EMPTY: Buffer = Buffer.alloc(0);

/** One frame, ready to write. */
export function encodeFrame(type: number, id: number, payload: Buffer | string = EMPTY): Buffer {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const out = Buffer.allocUnsafe(HEADER_BYTES + size);
  out[0] = type;
  out.writeUInt32BE(id, 1);
  out.writeUInt32BE(size, 5);
  if (typeof payload === 'string') out.write(payload, HEADER_BYTES);
  else payload.copy(out, HEADER_BYTES);
  return out;
}

/** Thrown by `FrameDecoder.push` for a frame no bridge sends: the channel cannot be trusted after it. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

/** Reassembles frames from socket chunks, copying a payload only when it spans chunks. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private type = -1;
  private id = 0;
  private need = HEADER_BYTES;

  constructor(
    private readonly maxPayload: number,
    private readonly onFrame: (type: number, id: number, payload: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= this.need) {
      let payload = EMPTY;
      if (this.type === -1) {
        const head = this.take(HEADER_BYTES);
        const size = head.readUInt32BE(5);
        if (size > this.maxPayload) throw new ProtocolError(`frame of ${size} bytes from the bridge`);
        this.type = head[0]!;
        this.id = head.readUInt32BE(1);
        this.need = size;
        if (size > 0) continue;
      } else {
        payload = this.take(this.need);
      }
      const { type, id } = this;
      this.type = -1;
      this.need = HEADER_BYTES;
      this.onFrame(type, id, payload);
    }
  }

  private take(size: number): Buffer {
    this.buffered -= size;
    const first = this.chunks[0]!;
    if (first.length > size) {
      this.chunks[0] = first.subarray(size);
      return first.subarray(0, size);
    }
    if (first.length === size) {
      this.chunks.shift();
      return first;
    }
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    while (at < size) {
      const chunk = this.chunks[0]!;
      const n = Math.min(chunk.length, size - at);
      chunk.copy(out, at, 0, n);
      at += n;
      if (n === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(n);
    }
    return out;
  }
}
