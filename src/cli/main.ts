#!/usr/bin/env node
/** The `chatdb` executable: runs the command line and sets the exit code. */
import { run } from './run.js';

process.exitCode = await run(process.argv);
