// @fastify/static on fastify 5 (default wildcard route, @fastify/send), max-age 1d, ETags on.
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import { adapterArgs, ready } from '../lib/adapter.mjs';

const { root, port } = adapterArgs();
const app = Fastify({ logger: false });
await app.register(fastifyStatic, { root, maxAge: 86400 * 1000, etag: true });
await app.listen({ port, host: '127.0.0.1' });
ready();
