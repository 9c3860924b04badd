#!/usr/bin/env node
/** The `chatdb` executable: runs the command line and sets the exit code. */
import { run } from './run.js';

// `chatdb --help | head`: a reader that stopped reading is no error, and no stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}

process.exitCode = await run(process.argv);
