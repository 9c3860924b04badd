import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChatDbError } from '../errors.js';
import type { DbLogger } from './types.js';

/**
 * The lock file in an embedded data directory: it holds the pid of the process that has the
 * directory open. PGlite takes no lock of its own, and two processes writing one directory corrupt
 * it (broken btree links in pg_depend after two `chatdb init` at once).
 */
export const LOCK_FILE = 'chatdb.lock';

/** Lock files this process holds (also to tell its own lock from one left by an earlier process with its pid). */
const held = new Set<string>();

const releaseAll = () => {
  for (const path of held) release(path);
};

/** The pid in a lock file; undefined when it is gone, unreadable or not a pid. */
function holderOf(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when a process with this pid exists (EPERM: it does, under another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates the lock file with our pid, atomically: complete content or no file. False when it exists. */
function tryCreate(path: string): boolean {
  const content = `${process.pid}\n`;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  try {
    linkSync(tmp, path); // fails with EEXIST when the lock exists; readers never see an empty file
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw e;
    // A filesystem without hard links: exclusive create, with a tiny window of an empty file.
    try {
      writeFileSync(path, content, { flag: 'wx' });
      return true;
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e2;
    }
  } finally {
    unlinkSync(tmp);
  }
}

/**
 * Moves a stale lock (holder `pid` gone) out of the way. Renaming is atomic, so of two processes
 * taking over the same lock only one moves it; the other finds the winner's lock, sees a live pid
 * and puts it back.
 */
function removeStale(path: string, pid: number | undefined): void {
  const aside = `${path}.stale.${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // gone already: someone else took it over or released it
  }
  if (holderOf(aside) !== pid) {
    try {
      linkSync(aside, path);
    } catch {
      // a third process created a lock meanwhile: it holds the directory now
    }
  }
  unlinkSync(aside);
}

const inUse = (dir: string, pid: number): ChatDbError =>
  pid === process.pid
    ? new ChatDbError(
        'db_unavailable',
        `embedded database in ${dir} is already open in this process: close it first (it serves one ` +
          'connection), or use DATABASE_URL=postgres://… for several',
      )
    : new ChatDbError(
        'db_unavailable',
        `embedded database in ${dir} is in use by process ${pid} (chatdb serve?): stop it first, or use ` +
          'DATABASE_URL=postgres://… for several processes',
      );

/**
 * Takes the directory's lock file for this process and returns its release function (also run on
 * process exit). A lock whose holder is alive is a `db_unavailable` error naming the pid; a lock
 * whose holder is gone (killed) is taken over with a note on `log`.
 */
export function lockDataDir(dir: string, log: DbLogger): () => void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(path)) {
      if (held.size === 0) process.on('exit', releaseAll);
      held.add(path);
      return () => release(path);
    }
    const pid = holderOf(path);
    // Our own pid in a lock we do not hold: left by an earlier process that had it (a container's pid 1).
    const ours = pid === process.pid && held.has(path);
    if (pid !== undefined && (ours || (pid !== process.pid && isAlive(pid)))) throw inUse(dir, pid);
    removeStale(path, pid);
    log(`took over ${path}: process ${pid ?? '?'} that held it is gone`);
  }
  throw new ChatDbError(
    'db_unavailable',
    `embedded database in ${dir}: could not take its lock file ${path}`,
  );
}

function release(path: string): void {
  if (!held.delete(path)) return;
  if (held.size === 0) process.removeListener('exit', releaseAll);
  if (holderOf(path) !== process.pid) return;
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
