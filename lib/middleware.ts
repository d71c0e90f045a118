import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A middleware in the Express/Connect shape; plain `node:http` servers can call it too. Every
 * appyaml part has this type.
 */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
