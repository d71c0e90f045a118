/**
 * appyaml inside an existing Express app. Run it: `node --import tsx examples/express-embed/server.ts`
 * (then open http://127.0.0.1:8080/). In your own project, import from 'appyaml' instead.
 *
 * What answers what:
 * - routes added before appyaml (/healthz) answer first; appyaml never sees them;
 * - app.yaml's static handlers answer their urls (/ and /public/...);
 * - app.yaml's script handler (/api/.*) has no Python behind it, so appyaml hands the request on
 *   to the Express routes added after it, with App Engine's request headers set, and applies App
 *   Engine's response rules (Cache-Control: private, compression) to what they answer;
 * - anything app.yaml does not match also falls through, to the last handler here.
 */
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import { appYaml, configureServer, type AppYamlMiddleware } from '../../lib/index.js';

export function createApp(): { app: Express; appEngine: AppYamlMiddleware } {
  const app = express();
  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });

  const appEngine = appYaml({ root: fileURLToPath(new URL('./app', import.meta.url)) });
  app.use(appEngine);

  app.get('/api/hello', (req, res) => {
    res.json({
      hello: 'from Express',
      path: req.appEngine?.path,
      handler: req.appEngine?.route?.handler.url,
      country: req.get('X-AppEngine-Country'),
    });
  });
  app.use((req, res) => {
    res.status(404).type('text/plain').send(`Express: nothing at ${req.path}\n`);
  });
  return { app, appEngine };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { app, appEngine } = createApp();
  const port = Number(process.env.PORT ?? 8080);
  const server = configureServer(app.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}/`)));
  const stop = () => server.close(() => void appEngine.close());
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
