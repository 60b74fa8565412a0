import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Fastify, { type RouteOptions } from 'fastify';
import { TEST_BEHAVIOUR_MODES } from '../daraja/platform/index.ts';
import { TEST_BEHAVIOUR_DELAY_MS_MAX } from '../daraja/platform/model.ts';
import { startTestServer } from '../daraja/platform/testing/harness.ts';
import { DELIVERY_STATUSES } from '../outbox/model.ts';
import { type RunningServer, startServer } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { buildOpenApiDocument, type OpenApiDocument } from './openapi.ts';
import type { Schema } from './openapi-schemas.ts';
import { OPENAPI_PATH, PORTAL_ASSETS_PATH, PORTAL_PAGE_PATH } from './routes.ts';

const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));

/** The partner-facing Daraja routes: what the OpenAPI document must describe. */
function isDarajaRoute(url: string): boolean {
  return (
    url.startsWith('/oauth/') ||
    url.startsWith('/mpesa/') ||
    url.startsWith('/pulltransactions/') ||
    url === '/daraja/certificate.cer'
  );
}

function documentedOperations(doc: OpenApiDocument): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

describe('portal web routes on the real server', { timeout: 120_000 }, () => {
  let server: RunningServer;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'malipo-portal-'));
    server = await startServer(loadConfig({ dataDir: dir, host: '127.0.0.1', port: 0 }, {}));
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const get = (path: string) =>
    fetch(`${server.url}${path}`, { signal: AbortSignal.timeout(5_000) });

  it('serves the page with a strict content security policy, and every asset it loads', async () => {
    for (const path of [PORTAL_PAGE_PATH, `${PORTAL_PAGE_PATH}/`]) {
      const page = await get(path);
      assert.equal(page.status, 200, path);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      const csp = page.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /connect-src 'self'/);
      const html = await page.text();
      assert.match(html, /<title>Malipo Developer Portal<\/title>/);
      // Nothing is fetched from anywhere else: every src and href is this server's.
      const urls = [...html.matchAll(/(?:src|href)="([^"#][^"]*)"/g)].map((m) => m[1]!);
      assert.ok(urls.length >= 3);
      for (const url of urls) assert.match(url, /^\/(portal|daraja)\//, url);
      for (const asset of urls.filter((u) => u.startsWith(PORTAL_ASSETS_PATH))) {
        const answer = await get(asset);
        assert.equal(answer.status, 200, asset);
        await answer.arrayBuffer();
      }
    }
  });

  it('serves every module the page imports, with a JavaScript content type', async () => {
    const seen = new Set<string>();
    const queue = ['main.js'];
    while (queue.length > 0) {
      const name = queue.pop()!;
      if (seen.has(name)) continue;
      seen.add(name);
      const answer = await get(`${PORTAL_ASSETS_PATH}/${name}`);
      assert.equal(answer.status, 200, name);
      assert.match(answer.headers.get('content-type') ?? '', /^text\/javascript/);
      const source = await answer.text();
      for (const m of source.matchAll(/from '\.\/([a-z-]+\.js)'/g)) queue.push(m[1]!);
    }
    assert.ok(seen.has('reference.js') && seen.has('deliveries.js') && seen.has('api.js'));
  });

  it('refuses names outside the static folder', async () => {
    for (const path of [
      `${PORTAL_ASSETS_PATH}/nope.js`,
      `${PORTAL_ASSETS_PATH}/..%2Froutes.ts`,
      `${PORTAL_ASSETS_PATH}/%2E%2E%2Fopenapi.ts`,
      `${PORTAL_ASSETS_PATH}/`,
    ]) {
      const answer = await get(path);
      assert.equal(answer.status, 404, path);
      await answer.arrayBuffer();
    }
  });

  it('serves the OpenAPI document, and the server has a route for each operation in it', async () => {
    const answer = await get(OPENAPI_PATH);
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
    const doc = (await answer.json()) as OpenApiDocument;
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(doc, JSON.parse(JSON.stringify(buildOpenApiDocument())));
    for (const operation of documentedOperations(doc)) {
      const [method, url] = operation.split(' ') as [string, string];
      assert.ok(server.app.hasRoute({ method, url }), `${operation} is documented but not served`);
    }
  });

  it('answers the Daraja API and the portal API next to the page', async () => {
    const certificate = await get('/daraja/certificate.cer');
    assert.match(await certificate.text(), /^-----BEGIN CERTIFICATE-----/);
    const apps = await get('/portal/api/apps');
    assert.equal(apps.status, 401);
    await apps.arrayBuffer();
  });
});

describe('the OpenAPI document', () => {
  const doc = buildOpenApiDocument();

  it('describes every Daraja route the platform registers, and nothing it does not', async () => {
    const server = await startTestServer();
    const probe = Fastify({ logger: false });
    const registered: string[] = [];
    probe.addHook('onRoute', (route: RouteOptions) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) {
        if (method !== 'HEAD' && isDarajaRoute(route.url))
          registered.push(`${method} ${route.url}`);
      }
    });
    try {
      server.platform.registerRoutes(probe);
      await probe.ready();
    } finally {
      await probe.close();
      await server.close();
    }
    // The same routes the README lists: OAuth, 23 business endpoints, the certificate.
    assert.ok(registered.length >= 19, registered.join('\n'));
    assert.deepEqual([...new Set(registered)].sort(), documentedOperations(doc));
  });

  it('resolves every $ref and uses only declared tags and security schemes', () => {
    const json = JSON.stringify(doc);
    for (const m of json.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) {
      assert.ok(doc.components.schemas[m[1]!], `missing schema ${m[1]}`);
    }
    const tags = new Set(doc.tags.map((t) => t.name));
    const ids = new Set<string>();
    for (const item of Object.values(doc.paths)) {
      for (const op of Object.values(item)) {
        assert.ok(
          op.tags.every((t) => tags.has(t)),
          op.operationId,
        );
        assert.equal(ids.has(op.operationId), false, `duplicate ${op.operationId}`);
        ids.add(op.operationId);
        assert.ok(op.responses['200'], op.operationId);
        for (const requirement of op.security ?? doc.security) {
          for (const name of Object.keys(requirement))
            assert.ok(doc.components.securitySchemes[name], name);
        }
      }
    }
    assert.deepEqual(doc.paths['/oauth/v1/generate']?.get?.security, [{ basicAuth: [] }]);
    assert.equal(doc.components.securitySchemes.bearerAuth?.scheme, 'bearer');
    assert.equal(doc.components.securitySchemes.basicAuth?.scheme, 'basic');
  });

  it('has examples that fit their schemas: every required field, no undeclared one', () => {
    let checked = 0;
    const visit = (schema: Schema | undefined, value: unknown, where: string) => {
      const resolved = resolve(doc, schema);
      if (resolved.type !== 'object' || typeof value !== 'object' || value === null) return;
      const properties = (resolved.properties ?? {}) as Record<string, Schema>;
      for (const name of (resolved.required ?? []) as string[])
        assert.ok(name in value, `${where}: example lacks required ${name}`);
      for (const [name, inner] of Object.entries(value)) {
        assert.ok(name in properties, `${where}: example has undeclared ${name}`);
        visit(properties[name], inner, `${where}.${name}`);
      }
      checked += 1;
    };
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const op of Object.values(item)) {
        const body = op.requestBody?.content as Record<string, Schema> | undefined;
        const request = body?.['application/json'];
        if (request) visit(request.schema as Schema, request.example, `${path} request`);
        const ok = (op.responses['200']?.content as Record<string, Schema> | undefined)?.[
          'application/json'
        ];
        if (ok) visit(ok.schema as Schema, ok.example, `${path} 200`);
        for (const expressions of Object.values(op.callbacks ?? {})) {
          for (const callback of Object.values(expressions as Record<string, Schema>)) {
            const post = callback.post as Schema;
            const content = (post.requestBody as Schema).content as Record<string, Schema>;
            const json = content['application/json']!;
            for (const [name, ex] of Object.entries(json.examples as Record<string, Schema>))
              visit(json.schema as Schema, ex.value, `${path} callback ${name}`);
          }
        }
      }
    }
    assert.ok(checked >= 30, `only ${checked} examples checked`);
  });

  it('uses Daraja’s field casing, misspellings included', () => {
    const schemas = doc.components.schemas;
    const fields = (name: string) => Object.keys((schemas[name]?.properties ?? {}) as object);
    assert.ok(fields('StkPushRequest').includes('BusinessShortCode'));
    assert.ok(fields('StkPushRequest').includes('CallBackURL'));
    assert.ok(fields('C2bSimulateRequest').includes('Msisdn'));
    assert.ok(fields('ReversalRequest').includes('RecieverIdentifierType'));
    assert.ok(fields('B2cV3Request').includes('Occassion'));
    assert.ok(fields('C2bRegisterUrlResponse').includes('OriginatorCoversationID'));
    assert.deepEqual(fields('DarajaError').sort(), ['errorCode', 'errorMessage', 'requestId']);
  });
});

describe('portal page constants', () => {
  it('match the server’s tables', async () => {
    const constants = (await import(pathToFileURL(join(STATIC_DIR, 'constants.js')).href)) as {
      TEST_BEHAVIOUR_MODES: [string, string][];
      TEST_BEHAVIOUR_DELAY_MS_MAX: number;
    };
    assert.deepEqual(
      constants.TEST_BEHAVIOUR_MODES.map(([mode]) => mode),
      [...TEST_BEHAVIOUR_MODES],
    );
    assert.equal(constants.TEST_BEHAVIOUR_DELAY_MS_MAX, TEST_BEHAVIOUR_DELAY_MS_MAX);
    const html = readFileSync(join(STATIC_DIR, 'index.html'), 'utf8');
    const select = /<select id="delivery-status">([\s\S]*?)<\/select>/.exec(html)?.[1] ?? '';
    const statuses = [...select.matchAll(/value="([a-z]+)"/g)].map((m) => m[1]);
    assert.deepEqual(statuses, [...DELIVERY_STATUSES]);
  });
});

function resolve(doc: OpenApiDocument, schema: Schema | undefined): Schema {
  let current: Schema = schema ?? {};
  while (typeof current.$ref === 'string') {
    current = doc.components.schemas[current.$ref.replace('#/components/schemas/', '')] ?? {};
  }
  return current;
}
