import { Writable } from 'node:stream';

/** A stream for a pino logger that keeps every line written to it, for tests that grep the log. */
export function logSink(): { stream: Writable; text(): string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += chunk;
      cb();
    },
  });
  return { stream, text: () => text };
}
