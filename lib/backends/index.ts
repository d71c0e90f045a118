/** Backends that run an app's `script:` handlers, and the process and pool machinery they share. */
export type { ScriptBackend } from './script-backend.js';
export type { BackendOptions } from './backend-options.js';
export { wsgi, WsgiBackend, isWsgiScript, type WsgiOptions, type WsgiMiddleware } from './wsgi/backend.js';
export type { WholeResponse } from './wsgi/response.js';
export { Pool } from './pool.js';
export { PoolClosedError, QueueTimeoutError, StartFailedError, type PoolInstance, type PoolOptions, type Lease, type StartPath } from './pool-contract.js';
export { scalingPolicy, instanceConcurrency, type ScalingPolicy, type ScalingOptions } from './scaling.js';
export { spawnProcess, inheritedEnvironment, ManagedProcess, type SpawnOptions, type ExitStatus } from './process.js';
export { defaultPython, pythonEnvironment } from './interpreter.js';
export { entrypoint, EntrypointBackend, type EntrypointOptions, type EntrypointMiddleware } from './entrypoint/backend.js';
export { entrypointCommand, DEFAULT_ENTRYPOINT } from './entrypoint/command.js';
export { startMetadataServer, type MetadataServer, type MetadataValues } from './entrypoint/metadata-server.js';
export { ReverseProxy, type ReverseProxyOptions, type ProxyHooks, type ProxyOutcome } from './proxy/proxy.js';
export { cgi, CgiBackend, isCgiScript, type CgiOptions, type CgiMiddleware, type CgiMode } from './cgi/backend.js';
