// The developer portal's web page: `GET /portal` (one page of static HTML, CSS and JavaScript
// modules from ./static) and `GET /portal/openapi.json` (the Daraja API's OpenAPI document, which
// the page renders as its API reference). The page talks only to this server's /portal/api/...
//
// Why not @fastify/static: the portal is a handful of small files known at start-up. Reading them
// into memory once gives a fixed allow-list (no path from the URL ever reaches the file system)
// and costs one fewer runtime dependency.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { buildOpenApiDocument } from './openapi.ts';

export const PORTAL_PAGE_PATH = '/portal';
export const PORTAL_ASSETS_PATH = '/portal/assets';
export const OPENAPI_PATH = '/portal/openapi.json';

const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));
/** The portal is a few files; more than this means something else was put in the folder. */
const STATIC_FILES_MAX = 32;
const STATIC_FILE_BYTES_MAX = 256 * 1024;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Nothing is loaded from anywhere but this server, nothing inline runs, and the page cannot be
 * framed. The page puts text from outside (callback answers, app names) on screen as text only.
 */
export const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Small files, and a developer who edits them wants to see the change on reload.
  'cache-control': 'no-cache',
} as const;

interface StaticFile {
  readonly contentType: string;
  readonly body: Buffer;
}

/** Reads ./static once; only the file types above are served. */
export function loadStaticFiles(dir = STATIC_DIR): ReadonlyMap<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(dir).sort()) {
    const contentType = CONTENT_TYPES[extname(name)];
    const path = join(dir, name);
    if (contentType === undefined || !statSync(path).isFile()) continue;
    if (files.size >= STATIC_FILES_MAX)
      throw new Error(`portal: more than ${STATIC_FILES_MAX} files in ${dir}`);
    const body = readFileSync(path);
    if (body.length > STATIC_FILE_BYTES_MAX)
      throw new Error(`portal: ${name} is larger than ${STATIC_FILE_BYTES_MAX} bytes`);
    files.set(name, { contentType, body });
  }
  if (!files.has('index.html')) throw new Error(`portal: no index.html in ${dir}`);
  return files;
}

function send(reply: FastifyReply, file: StaticFile) {
  return reply.code(200).headers(SECURITY_HEADERS).type(file.contentType).send(file.body);
}

export function registerPortalWebRoutes(app: FastifyInstance): void {
  const files = loadStaticFiles();
  const index = files.get('index.html')!;
  const openapi = JSON.stringify(buildOpenApiDocument());
  app.get(PORTAL_PAGE_PATH, async (_request, reply) => send(reply, index));
  app.get(`${PORTAL_PAGE_PATH}/`, async (_request, reply) => send(reply, index));
  app.get<{ Params: { file: string } }>(`${PORTAL_ASSETS_PATH}/:file`, async (request, reply) => {
    const file = files.get(request.params.file);
    if (file === undefined) return reply.code(404).send({ ok: false, error: 'not found' });
    return send(reply, file);
  });
  app.get(OPENAPI_PATH, async (_request, reply) =>
    reply
      .code(200)
      .header('cache-control', 'no-cache')
      .header('access-control-allow-origin', '*')
      .type('application/json; charset=utf-8')
      .send(openapi),
  );
}
