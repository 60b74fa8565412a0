// A node:test reporter that writes one JSON line per skipped test (file, name, reason), so
// scripts/test.mjs can list at the end what did not run and why. The spec reporter only counts them.
export default async function* skipReporter(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { skip, name, file } = event.data;
    if (skip === undefined || skip === false) continue;
    yield `${JSON.stringify({ file: file ?? '', name, reason: skip === true ? '' : String(skip) })}\n`;
  }
}
