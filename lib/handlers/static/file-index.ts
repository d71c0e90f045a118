import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  statSync,
  watch,
  type Dirent,
  type FSWatcher,
  type Stats,
} from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { contentType } from 'mime-types';
import type { AppConfig } from '../../config/types.js';
import { fileScope, type FileScope } from './file-scope.js';
import type { HeaderSet } from './headers.js';

/** One servable file, as it was when the index was built. */
export interface FileEntry {
  /** Root-relative path as a deployment names it (through symlinks); the index key. */
  readonly path: string;
  /** Real absolute path, checked to be inside the app; this is what gets opened. */
  readonly abs: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
  /** Strong, quoted, derived from the bytes only: servers with the same files agree on it. */
  readonly etag: string;
  /** From the extension of `path` through mime-types' fixed table; charset added for text. */
  readonly type: string;
  /** The bytes, for files small enough to be answered from memory. */
  readonly body: Buffer | undefined;
  /** Header sets per handler position: undefined until first asked, null when that handler may not serve the file. */
  readonly headerSets: Array<HeaderSet | null | undefined>;
}

export interface FileIndexOptions {
  mode: 'production' | 'development';
  /** Files up to this many bytes are kept in memory... */
  memoryFileSize: number;
  /** ...while the total kept stays under this. */
  memoryTotalSize: number;
}

/** A walk visiting more entries than this is refused: symlinks can multiply a tree. */
const MAX_WALK_ENTRIES = 200_000;
/** Changes within this window are picked up by one rebuild. */
const REBUILD_DELAY_MS = 40;
/** Rebuild period in development when the platform cannot watch folders recursively. */
const POLL_INTERVAL_MS = 1000;
const HASH_CHUNK = 1 << 20;

/**
 * The servable static files, built at startup like App Engine's deploy-time snapshot: a request
 * is a map lookup, and a miss never touches the disk. In development the folders that can hold
 * static files are watched and the index is rebuilt (reusing unchanged files' hashes) on change.
 */
export class FileIndex {
  private files: Map<string, FileEntry>;
  private readonly realRoot: string;
  private readonly scope: FileScope;
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private poller: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    app: AppConfig,
    private readonly options: FileIndexOptions,
  ) {
    this.realRoot = realpathSync(app.root);
    this.scope = fileScope(app);
    this.files = this.build(new Map());
    if (options.mode === 'development') this.watch();
  }

  /** The entry for a root-relative path, if a deployment would contain it. */
  get(path: string): FileEntry | undefined {
    return this.files.get(path);
  }

  /** Stops watching (development mode); the index keeps answering from its last state. */
  close(): void {
    this.closed = true;
    for (const watcher of this.watchers) watcher.close();
    this.watchers.length = 0;
    clearTimeout(this.timer);
    clearInterval(this.poller);
    this.timer = this.poller = undefined;
  }

  private build(previous: Map<string, FileEntry>): Map<string, FileEntry> {
    const reuse = new Map<string, FileEntry>();
    for (const entry of previous.values()) reuse.set(entry.abs, entry);
    const builder = new Builder(this.realRoot, this.scope, this.options, reuse);
    builder.walk(this.realRoot, '', '', new Set([this.realRoot]));
    return builder.files;
  }

  private watch(): void {
    const rebuild = () => {
      if (this.timer) return;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        try {
          this.files = this.build(this.files);
        } catch {
          // A folder vanished or the tree became too large mid-edit: keep serving the last good index.
        }
      }, REBUILD_DELAY_MS);
      this.timer.unref();
    };
    for (const folder of this.watchedFolders()) {
      try {
        const watcher = watch(folder, { recursive: true }, rebuild);
        // A watcher that fails (its folder was removed, inotify ran out) notices nothing more.
        watcher.on('error', () => this.poll(rebuild));
        watcher.unref();
        this.watchers.push(watcher);
      } catch {
        this.poll(rebuild);
        return;
      }
    }
  }

  /** Falls back to rebuilding periodically when folders cannot be watched. */
  private poll(rebuild: () => void): void {
    if (this.poller || this.closed) return;
    for (const watcher of this.watchers) watcher.close();
    this.watchers.length = 0;
    this.poller = setInterval(rebuild, POLL_INTERVAL_MS);
    this.poller.unref();
  }

  /** The base folders, or their nearest existing ancestor so that creating them is noticed. */
  private watchedFolders(): string[] {
    const folders = new Set<string>();
    for (const base of this.scope.bases) {
      let folder = join(this.realRoot, base);
      while (folder !== this.realRoot && !existsSync(folder)) folder = join(folder, '..');
      folders.add(folder);
    }
    return [...folders].filter((f) => ![...folders].some((o) => o !== f && f.startsWith(o + sep)));
  }
}

/** One walk of the app folder. */
class Builder {
  readonly files = new Map<string, FileEntry>();
  private readonly byAbs = new Map<string, FileEntry>();
  private visited = 0;
  private memoryLeft: number;

  constructor(
    private readonly realRoot: string,
    private readonly scope: FileScope,
    private readonly options: FileIndexOptions,
    private readonly reuse: Map<string, FileEntry>,
  ) {
    this.memoryLeft = options.memoryTotalSize;
  }

  /**
   * `dir` is a real folder inside the root, `prefix` its deployed name and `realPrefix` its real
   * name (they differ below a symlinked folder); `ancestors` are the real folders above, to stop
   * symlink loops.
   */
  walk(dir: string, prefix: string, realPrefix: string, ancestors: Set<string>): void {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (++this.visited > MAX_WALK_ENTRIES) {
        throw new Error(`more than ${MAX_WALK_ENTRIES} entries under ${this.realRoot}: check for symlinks that repeat a folder`);
      }
      const path = prefix + entry.name;
      if (this.scope.skipped(path)) continue;
      let abs = join(dir, entry.name);
      let realPath = realPrefix + entry.name;
      let kind = entry.isDirectory() ? 'dir' : entry.isFile() ? 'file' : 'other';
      if (entry.isSymbolicLink() || kind === 'other') {
        const real = this.resolve(abs);
        if (!real) continue;
        abs = real;
        realPath = relative(this.realRoot, real).split(sep).join('/');
        kind = statKind(real);
      }
      // Through a symlink, the target's own name must not be skipped either: a link must not publish `.env`.
      if (realPath !== path && this.scope.skipped(realPath)) continue;
      if (kind === 'dir') {
        if (ancestors.has(abs) || !this.scope.mayContain(path)) continue;
        ancestors.add(abs);
        this.walk(abs, `${path}/`, `${realPath}/`, ancestors);
        ancestors.delete(abs);
      } else if (kind === 'file' && this.scope.candidate(path)) {
        this.add(path, abs);
      }
    }
  }

  /** The real path, or undefined when it cannot be resolved or lies outside the app. */
  private resolve(abs: string): string | undefined {
    try {
      const real = realpathSync(abs);
      return real === this.realRoot || real.startsWith(this.realRoot + sep) ? real : undefined;
    } catch {
      return undefined;
    }
  }

  private add(path: string, abs: string): void {
    const type = contentType(extname(path)) || 'application/octet-stream';
    // One file reached through several names (symlinks) is read and kept once.
    const twin = this.byAbs.get(abs);
    if (twin) {
      this.files.set(path, { ...twin, path, type, headerSets: [] });
      return;
    }
    const old = this.reuse.get(abs);
    const stats = old && statOrUndefined(abs);
    if (old && stats && old.size === stats.size && old.mtimeMs === stats.mtimeMs && old.ino === stats.ino) {
      const body = old.body && this.keep(old.size) ? old.body : undefined;
      this.remember({ ...old, path, type, body, headerSets: [] });
      return;
    }
    const read = this.read(abs);
    if (read) this.remember({ path, abs, type, ...read, headerSets: [] });
  }

  private remember(entry: FileEntry): void {
    this.files.set(entry.path, entry);
    this.byAbs.set(entry.abs, entry);
  }

  /** Hashes the file through one descriptor, so size, mtime and bytes describe the same file. */
  private read(abs: string): Pick<FileEntry, 'size' | 'mtimeMs' | 'ino' | 'etag' | 'body'> | undefined {
    let fd: number;
    try {
      // Non-blocking, so that a FIFO swapped in since the readdir cannot hang the walk.
      fd = openSync(abs, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch {
      return undefined;
    }
    try {
      const stats = fstatSync(fd);
      if (!stats.isFile()) return undefined;
      const hash = createHash('sha256');
      let body: Buffer | undefined;
      if (stats.size <= this.options.memoryFileSize && this.keep(stats.size)) {
        body = Buffer.allocUnsafe(stats.size);
        const n = readFully(fd, body);
        if (n !== stats.size) return undefined;
        hash.update(body);
      } else {
        const chunk = Buffer.allocUnsafe(Math.min(HASH_CHUNK, Math.max(stats.size, 1)));
        let total = 0;
        for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0; total += n) hash.update(chunk.subarray(0, n));
        if (total !== stats.size) return undefined;
      }
      const etag = `"${hash.digest('base64url').slice(0, 22)}"`;
      return { size: stats.size, mtimeMs: stats.mtimeMs, ino: stats.ino, etag, body };
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  }

  private keep(size: number): boolean {
    if (size > this.options.memoryFileSize || size > this.memoryLeft) return false;
    this.memoryLeft -= size;
    return true;
  }
}

function statKind(abs: string): 'dir' | 'file' | 'other' {
  const stats = statOrUndefined(abs);
  return stats?.isDirectory() ? 'dir' : stats?.isFile() ? 'file' : 'other';
}

function statOrUndefined(abs: string): Stats | undefined {
  try {
    return statSync(abs);
  } catch {
    return undefined;
  }
}

function readFully(fd: number, buffer: Buffer): number {
  let offset = 0;
  while (offset < buffer.length) {
    const n = readSync(fd, buffer, offset, buffer.length - offset, null);
    if (n === 0) break;
    offset += n;
  }
  return offset;
}
