import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { loadAppYaml } from '../../lib/config/load.js';
import { compileEnvironment } from '../../lib/envelope/environment.js';

const load = (config: Record<string, unknown>) => loadAppYaml({ root: '/tmp', config });
const py27 = { runtime: 'python27', api_version: '1', threadsafe: true, handlers: [{ url: '/.*', script: 'main.app' }] };

describe('compileEnvironment', () => {
  it('second generation: the GAE_* set, PORT, and env_variables that cannot override them', () => {
    const warnings: string[] = [];
    const config = load({
      runtime: 'python312',
      service: 'api',
      instance_class: 'F2',
      env_variables: { GAE_ENV: 'hacked', PORT: '1', GOOGLE_CLOUD_PROJECT: 'other', GAE_INSTANCE: 'x', HTTPS: 'on', MY_SETTING: 'kept' },
    });
    const env = compileEnvironment(config, { project: 'my-app', version: 'v3', deploymentId: '123', warn: (m) => warnings.push(m) });
    assert.deepEqual(env.instance({ instanceId: 'abc', port: 8081 }), {
      MY_SETTING: 'kept',
      GAE_APPLICATION: 's~my-app',
      GAE_DEPLOYMENT_ID: '123',
      GAE_ENV: 'standard',
      GAE_INSTANCE: 'abc',
      GAE_MEMORY_MB: '768',
      GAE_RUNTIME: 'python312',
      GAE_SERVICE: 'api',
      GAE_VERSION: 'v3',
      GOOGLE_CLOUD_PROJECT: 'my-app',
      PORT: '8081',
    });
    assert.equal(warnings.length, 5);
    assert.ok(warnings.every((w) => /cannot be overridden/.test(w)));
    assert.ok(warnings.some((w) => w.includes('GAE_ENV')));
    for (const name of ['GAE_ENV', 'PORT', 'GOOGLE_CLOUD_PROJECT', 'HTTPS', 'REQUEST_LOG_ID', 'USER_EMAIL']) assert.ok(env.reserved.has(name), name);
    assert.ok(!env.reserved.has('MY_SETTING'));
  });

  it('development mode: GAE_ENV=localdev, dev~ partition, start-time version, random instance ids', () => {
    const env = compileEnvironment(load({ runtime: 'python311' }), { mode: 'development', project: 'p' });
    const a = env.instance();
    const b = env.instance();
    assert.equal(a.GAE_ENV, 'localdev');
    assert.equal(a.GAE_APPLICATION, 'dev~p');
    assert.match(a.GAE_VERSION!, /^\d{8}t\d{6}$/);
    assert.match(a.GAE_DEPLOYMENT_ID!, /^\d{16}$/);
    assert.equal(a.GAE_VERSION, b.GAE_VERSION, 'one version per app');
    assert.match(a.GAE_INSTANCE!, /^[0-9a-f]{64}$/);
    assert.notEqual(a.GAE_INSTANCE, b.GAE_INSTANCE);
    assert.equal(a.GAE_MEMORY_MB, '384', 'F1 by default');
    assert.equal(a.PORT, undefined);
  });

  it('app.yaml version, service and application are used when no option overrides them', () => {
    const saved = process.env.GOOGLE_CLOUD_PROJECT;
    delete process.env.GOOGLE_CLOUD_PROJECT;
    try {
      const env = compileEnvironment(load({ runtime: 'python312', basic_scaling: { max_instances: 1 } })).instance();
      assert.equal(env.GOOGLE_CLOUD_PROJECT, 'test');
      assert.equal(env.GAE_SERVICE, 'default');
      assert.equal(env.GAE_MEMORY_MB, '768', 'B2 by default for basic scaling');
      const withApp = compileEnvironment(load({ ...py27, application: 'legacy-app', version: 'v1' }), { deploymentId: '42' }).instance();
      assert.equal(withApp.APPLICATION_ID, 's~legacy-app');
      assert.equal(withApp.CURRENT_VERSION_ID, 'v1.42');
    } finally {
      if (saved !== undefined) process.env.GOOGLE_CLOUD_PROJECT = saved;
    }
  });

  it('python27: its own variables, first-generation memory, request variables', () => {
    const env = compileEnvironment(load({ ...py27, instance_class: 'F4', env_variables: { APPLICATION_ID: 'x', SERVER_SOFTWARE: 'x', FOO: 'bar' } }), {
      project: 'my-app',
      version: 'v1',
      deploymentId: '99',
      mode: 'development',
    });
    const instance = env.instance({ instanceId: 'i1' });
    assert.deepEqual(instance, {
      FOO: 'bar',
      GAE_APPLICATION: 'dev~my-app',
      GAE_DEPLOYMENT_ID: '99',
      GAE_ENV: 'localdev',
      GAE_MEMORY_MB: '512',
      GAE_RUNTIME: 'python27',
      GAE_SERVICE: 'default',
      GAE_VERSION: 'v1',
      GOOGLE_CLOUD_PROJECT: 'my-app',
      GAE_INSTANCE: 'i1',
      APPENGINE_RUNTIME: 'python27',
      APPLICATION_ID: 'dev~my-app',
      CURRENT_MODULE_ID: 'default',
      CURRENT_VERSION_ID: 'v1.99',
      AUTH_DOMAIN: 'gmail.com',
      SERVER_SOFTWARE: 'Development/2.0',
      TZ: 'UTC',
      INSTANCE_ID: 'i1',
    });
    const req = {
      appEngine: {
        path: '/',
        query: '',
        scheme: 'https',
        clientIp: '1.2.3.4',
        requestLogId: 'abc',
        requestIdHash: '0000ABCD',
        defaultVersionHostname: 'localhost:8080',
        user: { email: 'a@example.com', userId: '42', nickname: 'a', isAdmin: true },
      },
    } as unknown as IncomingMessage;
    assert.deepEqual(env.request(req), {
      HTTPS: 'on',
      REQUEST_LOG_ID: 'abc',
      REQUEST_ID_HASH: '0000ABCD',
      DEFAULT_VERSION_HOSTNAME: 'localhost:8080',
      USER_EMAIL: 'a@example.com',
      USER_ID: '42',
      USER_NICKNAME: 'a',
      USER_ORGANIZATION: '',
      USER_IS_ADMIN: '1',
      AUTH_DOMAIN: 'gmail.com',
    });
    assert.deepEqual(env.request({} as IncomingMessage), {});
    assert.equal(compileEnvironment(load({ ...py27, instance_class: 'F4' })).instance().SERVER_SOFTWARE, 'Google App Engine/1.9.91');
    assert.equal(compileEnvironment(load({ ...py27, instance_class: 'F4' })).instance().INSTANCE_ID!.length, 64);
  });

  it('flex: the documented subset, memory from resources', () => {
    const env = compileEnvironment(load({ runtime: 'python', env: 'flex', entrypoint: 'gunicorn main:app', resources: { memory_gb: 2 } }), {
      project: 'p',
      version: 'v',
    }).instance({ instanceId: 'f', port: 8080 });
    assert.deepEqual(env, { GAE_MEMORY_MB: '2048', GAE_SERVICE: 'default', GAE_VERSION: 'v', GOOGLE_CLOUD_PROJECT: 'p', GAE_INSTANCE: 'f', PORT: '8080' });
  });
});
