/**
 * `npm run bench [name…]`: runs every bench/*.bench.ts (or the named ones) on PGlite and, when
 * BENCH_DATABASE_URL / TEST_DATABASE_URL is set or 127.0.0.1:5432 answers, on a scratch database
 * on that server (BENCH_ON=pglite or postgres: that kind only). Each run prints a table and writes bench/results/<name>-<db>.json.
 */
import { readdirSync } from 'node:fs';
import { type Bench, context, endProgress, targets, writeResult } from './lib.js';

const dir = new URL('./', import.meta.url);
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.bench\.ts$/, '')))
  .sort();
if (files.length === 0) {
  process.stderr.write(`no benchmark matches ${wanted.join(', ')}\n`);
  process.exit(1);
}

// BENCH_ON=pglite or BENCH_ON=postgres: one database kind only.
const only = process.env.BENCH_ON?.trim();
const where = (await targets()).filter((t) => !only || t.kind === only);
let failed = false;
for (const file of files) {
  const bench = ((await import(new URL(file, dir).href)) as { default: Bench }).default;
  for (const target of where.filter((t) => !bench.kinds || bench.kinds.includes(t.kind))) {
    process.stdout.write(`\n== ${bench.name} on ${target.kind}: ${bench.description}\n`);
    const opened = await target.open();
    try {
      const started = Date.now();
      const server = (await opened.db.query<{ v: string }>('SELECT version() AS v')).rows[0]?.v ?? '';
      const result = await bench.run(context(opened.db, opened.url));
      endProgress();
      const path = writeResult(bench.name, target.kind, {
        bench: bench.name,
        db: target.kind,
        target: opened.label,
        server,
        node: process.version,
        at: new Date().toISOString(),
        seconds: (Date.now() - started) / 1000,
        ...result,
      });
      process.stdout.write(`(${((Date.now() - started) / 1000).toFixed(1)} s; ${path})\n`);
    } catch (e) {
      endProgress();
      failed = true;
      process.stderr.write(`${bench.name} on ${target.kind} failed: ${(e as Error).stack ?? e}\n`);
    } finally {
      await opened.drop();
    }
  }
}
process.exit(failed ? 1 : 0);
