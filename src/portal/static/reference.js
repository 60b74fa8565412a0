// The API reference, rendered from /portal/openapi.json: a small renderer for the parts of
// OpenAPI 3.1 the document uses (tags, operations, parameters, JSON bodies, responses, callbacks,
// $ref to components). Written here rather than shipping swagger-ui: a few kilobytes instead of
// a few megabytes, and it looks like the rest of the portal.
import { call } from './api.js';
import { fill, h } from './dom.js';

const OPENAPI_URL = '/portal/openapi.json';
/** Nesting shown in field tables; Daraja's deepest body (the STK callback) needs 5. */
const SCHEMA_DEPTH_MAX = 8;

let rendered = false;

export async function showReference(root) {
  if (rendered) return;
  fill(root, h('p', { class: 'hint' }, 'Loading the API reference…'));
  const doc = await call(OPENAPI_URL);
  renderReference(root, doc);
  rendered = true;
}

/** Renders `doc` into `root`; exported for reuse (and so it can be tried on any document). */
export function renderReference(root, doc) {
  const groups = groupByTag(doc);
  const content = h(
    'div',
    { class: 'ref-content' },
    intro(doc),
    groups.map((group) =>
      h(
        'section',
        { class: 'ref-tag', 'data-tag': group.name },
        h('h2', null, group.name),
        group.description ? h('p', { class: 'lead' }, group.description) : null,
        group.operations.map((op) => operation(doc, op)),
      ),
    ),
  );
  const filter = h('input', {
    type: 'search',
    placeholder: 'Filter endpoints',
    'aria-label': 'Filter endpoints',
    class: 'ref-filter',
  });
  const nav = h('nav', { class: 'ref-nav', 'aria-label': 'Endpoints' }, filter, navList(groups));
  filter.addEventListener('input', () => applyFilter(root, filter.value));
  fill(root, h('div', { class: 'ref' }, nav, content));
}

function groupByTag(doc) {
  const groups = (doc.tags ?? []).map((t) => ({ ...t, operations: [] }));
  const byName = new Map(groups.map((g) => [g.name, g]));
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch']) {
      const op = item[method];
      if (op === undefined) continue;
      const tag = op.tags?.[0] ?? 'Other';
      if (!byName.has(tag)) {
        const group = { name: tag, description: '', operations: [] };
        groups.push(group);
        byName.set(tag, group);
      }
      byName.get(tag).operations.push({ ...op, method, path });
    }
  }
  return groups.filter((g) => g.operations.length > 0);
}

function navList(groups) {
  return groups.map((group) =>
    h(
      'div',
      { class: 'ref-nav-group' },
      h('p', { class: 'ref-nav-tag' }, group.name),
      h(
        'ul',
        null,
        group.operations.map((op) => {
          const link = h(
            'a',
            { href: '#reference', 'data-op': op.operationId },
            methodBadge(op.method),
            ' ',
            op.summary,
          );
          link.addEventListener('click', (event) => {
            event.preventDefault();
            document.getElementById(`op-${op.operationId}`)?.scrollIntoView({ block: 'start' });
          });
          return h('li', { 'data-op': op.operationId }, link);
        }),
      ),
    ),
  );
}

function applyFilter(root, text) {
  const needle = text.trim().toLowerCase();
  for (const article of root.querySelectorAll('.ref-op')) {
    const match = needle === '' || article.dataset.search.includes(needle);
    article.hidden = !match;
    const item = root.querySelector(`li[data-op="${article.dataset.op}"]`);
    if (item) item.hidden = !match;
  }
  for (const section of root.querySelectorAll('.ref-tag')) {
    section.hidden = section.querySelector('.ref-op:not([hidden])') === null;
  }
}

function intro(doc) {
  const schemes = doc.components?.securitySchemes ?? {};
  return h(
    'header',
    { class: 'ref-intro card' },
    h('h1', null, doc.info?.title ?? 'API reference'),
    h('p', null, doc.info?.description ?? ''),
    (doc['x-malipo-notes'] ?? []).map((note) =>
      h(
        'section',
        { class: 'ref-note' },
        h('h2', null, note.title),
        h(
          'ul',
          null,
          note.items.map((item) => h('li', null, item)),
        ),
      ),
    ),
    h(
      'dl',
      { class: 'fields' },
      h('dt', null, 'Base URL'),
      h('dd', null, h('code', null, location.origin)),
      Object.entries(schemes).map(([name, scheme]) => [
        h('dt', null, name === 'basicAuth' ? 'OAuth' : 'Every other call'),
        h(
          'dd',
          null,
          `${scheme.scheme === 'basic' ? 'HTTP Basic' : 'Bearer token'}: ${scheme.description ?? ''}`,
        ),
      ]),
      h('dt', null, 'OpenAPI'),
      h(
        'dd',
        null,
        h('a', { href: OPENAPI_URL, download: 'malipo-daraja-openapi.json' }, 'openapi.json'),
        ` (OpenAPI ${doc.openapi})`,
      ),
    ),
  );
}

function methodBadge(method) {
  return h('span', { class: `method method-${method}` }, method.toUpperCase());
}

function security(doc, op) {
  const requirements = op.security ?? doc.security ?? [];
  if (requirements.length === 0) return 'None';
  const names = requirements.flatMap((r) => Object.keys(r));
  return names
    .map((n) =>
      doc.components?.securitySchemes?.[n]?.scheme === 'basic'
        ? 'HTTP Basic (consumer key : consumer secret)'
        : 'Authorization: Bearer <access_token>',
    )
    .join(' or ');
}

function operation(doc, op) {
  const body = op.requestBody?.content?.['application/json'];
  return h(
    'article',
    {
      class: 'ref-op card',
      id: `op-${op.operationId}`,
      'data-op': op.operationId,
      'data-search': `${op.method} ${op.path} ${op.summary} ${op.description ?? ''}`.toLowerCase(),
    },
    h(
      'div',
      { class: 'ref-op-head' },
      methodBadge(op.method),
      h('code', { class: 'ref-path' }, op.path),
    ),
    h('h3', null, op.summary),
    op.description ? h('p', null, op.description) : null,
    h('p', { class: 'hint' }, 'Auth: ', security(doc, op)),
    op.parameters?.length ? parameters(op.parameters) : null,
    body
      ? h(
          'div',
          null,
          h('h4', null, 'Request body'),
          fieldTable(doc, body.schema),
          exampleBlock('Example request', body.example),
        )
      : null,
    responses(doc, op.responses ?? {}),
    op.callbacks ? callbacks(doc, op.callbacks) : null,
  );
}

function parameters(list) {
  return h(
    'div',
    null,
    h('h4', null, 'Query parameters'),
    table(
      ['Name', 'Type', 'Description'],
      list.map((p) => [
        h(
          'code',
          null,
          p.name,
          p.required ? h('span', { class: 'required', title: 'required' }, ' *') : null,
        ),
        typeText(p.schema ?? {}),
        [p.description ?? '', constraints(p.schema ?? {})],
      ]),
    ),
  );
}

function responses(doc, all) {
  const entries = Object.entries(all);
  const success = entries.filter(([status]) => status.startsWith('2'));
  const errors = entries.filter(([status]) => !status.startsWith('2'));
  return h(
    'div',
    null,
    success.map(([status, response]) => {
      const json = response.content?.['application/json'];
      return h(
        'div',
        null,
        h(
          'h4',
          null,
          `Response ${status}`,
          response.description ? ` — ${response.description}` : '',
        ),
        json
          ? [fieldTable(doc, json.schema), exampleBlock('Example response', json.example)]
          : null,
      );
    }),
    errors.length === 0
      ? null
      : h(
          'div',
          null,
          h('h4', null, 'Errors'),
          table(
            ['HTTP', 'errorCode and errorMessage'],
            errors.map(([status, response]) => [
              h('code', null, status),
              h(
                'ul',
                { class: 'plain' },
                (response.description ?? '').split('; ').map((line) => h('li', null, line)),
              ),
            ]),
          ),
        ),
  );
}

function callbacks(doc, all) {
  return h(
    'div',
    { class: 'ref-callbacks' },
    h('h4', null, 'Callbacks'),
    Object.entries(all).flatMap(([, expressions]) =>
      Object.entries(expressions).map(([expression, item]) => {
        const post = item.post ?? {};
        const json = post.requestBody?.content?.['application/json'];
        const field = /#\/([^}]+)\}/.exec(expression)?.[1] ?? expression;
        const answer = post.responses?.['200']?.content?.['application/json'];
        return h(
          'div',
          { class: 'ref-callback' },
          h(
            'p',
            null,
            h('strong', null, post.summary ?? 'Callback'),
            ' — POSTed to your ',
            h('code', null, field),
          ),
          post.description ? h('p', { class: 'hint' }, post.description) : null,
          json ? fieldTable(doc, json.schema) : null,
          json?.examples
            ? Object.entries(json.examples).map(([name, ex]) =>
                exampleBlock(`Example: ${ex.summary ?? name}`, ex.value),
              )
            : null,
          answer
            ? [
                h('p', null, 'Your answer:'),
                fieldTable(doc, answer.schema),
                exampleBlock('Example answer', answer.example),
              ]
            : null,
        );
      }),
    ),
  );
}

function exampleBlock(title, value) {
  if (value === undefined) return null;
  return h(
    'details',
    { class: 'example' },
    h('summary', null, title),
    h('pre', { class: 'code' }, JSON.stringify(value, null, 2)),
  );
}

function resolve(doc, schema) {
  let current = schema ?? {};
  for (let hops = 0; current.$ref !== undefined && hops < SCHEMA_DEPTH_MAX; hops += 1) {
    const name = current.$ref.replace('#/components/schemas/', '');
    current = doc.components?.schemas?.[name] ?? {};
  }
  return current;
}

/** One row per field, nested fields as `parent.child`, array items as `list[]`. */
function flatten(doc, schema, prefix, depth, rows) {
  const resolved = resolve(doc, schema);
  if (depth >= SCHEMA_DEPTH_MAX) return rows;
  const required = new Set(resolved.required ?? []);
  for (const [name, raw] of Object.entries(resolved.properties ?? {})) {
    const field = resolve(doc, raw);
    const path = prefix === '' ? name : `${prefix}.${name}`;
    rows.push({ path, field, required: required.has(name) });
    if (field.properties) flatten(doc, field, path, depth + 1, rows);
    const items = field.items === undefined ? null : resolve(doc, field.items);
    if (items?.properties) flatten(doc, items, `${path}[]`, depth + 1, rows);
  }
  return rows;
}

function fieldTable(doc, schema) {
  const rows = flatten(doc, schema, '', 0, []);
  if (rows.length === 0) return null;
  return table(
    ['Field', 'Type', 'Description'],
    rows.map(({ path, field, required }) => [
      h(
        'code',
        null,
        path,
        required ? h('span', { class: 'required', title: 'required' }, ' *') : null,
      ),
      typeText(field),
      [field.description ?? '', constraints(field)],
    ]),
  );
}

function typeText(schema) {
  if (schema.oneOf) return schema.oneOf.map((s) => typeText(s)).join(' or ');
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : (schema.type ?? 'any');
  if (type === 'array' && schema.items) return `array of ${typeText(schema.items)}`;
  return schema.format ? `${type} (${schema.format})` : type;
}

function constraints(schema) {
  const parts = [];
  if (schema.enum) parts.push(`One of: ${schema.enum.join(', ')}`);
  if (schema.minLength !== undefined || schema.maxLength !== undefined)
    parts.push(`${schema.minLength ?? 0}–${schema.maxLength ?? '∞'} characters`);
  if (schema.minimum !== undefined || schema.maximum !== undefined)
    parts.push(`${schema.minimum ?? '−∞'} to ${schema.maximum ?? '∞'}`);
  if (schema.pattern && !schema.enum) parts.push(`Pattern ${schema.pattern}`);
  if (parts.length === 0) return null;
  return h('span', { class: 'constraints' }, parts.join(' · '));
}

function table(headings, rows) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'ref-table' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          headings.map((t) => h('th', null, t)),
        ),
      ),
      h(
        'tbody',
        null,
        rows.map((cells) =>
          h(
            'tr',
            null,
            cells.map((c) => h('td', null, c)),
          ),
        ),
      ),
    ),
  );
}
