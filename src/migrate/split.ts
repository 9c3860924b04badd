/** One statement of a script, with the 1-based line it starts on (relative to the script). */
export interface Statement {
  readonly sql: string;
  readonly line: number;
}

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_CONT = /[A-Za-z0-9_$\u0080-\uffff]/;
/** `$$` or `$tag$`; a tag is an identifier without `$`. */
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;

/**
 * Splits a SQL script into statements the way psql does (its lexer, psqlscan.l): a `;` ends a
 * statement unless it is inside a string ('…' with '' doubling, E'…' with backslash escapes), a
 * quoted identifier, a dollar quote ($$…$$, $tag$…$tag$), a `--` or nested block comment,
 * parentheses, or the BEGIN … END body of `CREATE [OR REPLACE] FUNCTION|PROCEDURE … BEGIN ATOMIC`.
 * Comments before a statement are dropped; statements with no code are dropped.
 * Example: `splitStatements('SELECT 1;\nSELECT 2;')` -> `[{ sql: 'SELECT 1', line: 1 }, { sql: 'SELECT 2', line: 2 }]`.
 */
export function splitStatements(script: string): Statement[] {
  const out: Statement[] = [];
  const n = script.length;
  let i = 0;
  let codeAt = -1; // index of the statement's first code (not comment) character
  let parens = 0;
  let begins = 0;
  // psql's heuristic: the first words tell whether the statement is CREATE [OR REPLACE] FUNCTION|PROCEDURE.
  let words: string[] = [];

  const code = (at: number) => {
    if (codeAt === -1) codeAt = at;
  };
  const push = (end: number) => {
    if (codeAt !== -1) out.push({ sql: script.slice(codeAt, end).trim(), line: lineAt(script, codeAt) });
    codeAt = -1;
    parens = 0;
    begins = 0;
    words = [];
  };
  const inRoutineHeader = () => {
    const [a, b, c, d] = words;
    return (
      a === 'create' &&
      (b === 'function' ||
        b === 'procedure' ||
        (b === 'or' && c === 'replace' && (d === 'function' || d === 'procedure')))
    );
  };
  /** Index after a quoted run closed by `quote` (a doubled quote is part of it); n if unterminated. */
  const skipQuoted = (from: number, quote: string, backslashEscapes: boolean): number => {
    let j = from;
    while (j < n) {
      const ch = script[j];
      if (backslashEscapes && ch === '\\') j += 2;
      else if (ch === quote && script[j + 1] === quote) j += 2;
      else if (ch === quote) return j + 1;
      else j++;
    }
    return n;
  };

  while (i < n) {
    const c = script[i] as string;
    const next = script[i + 1];
    if (c === '-' && next === '-') {
      const nl = script.indexOf('\n', i);
      i = nl === -1 ? n : nl + 1;
    } else if (c === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (script[i] === '/' && script[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (script[i] === '*' && script[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      }
    } else if (c === "'") {
      code(i);
      i = skipQuoted(i + 1, "'", false);
    } else if (c === '"') {
      code(i);
      i = skipQuoted(i + 1, '"', false);
    } else if (c === '$') {
      code(i);
      DOLLAR_TAG.lastIndex = i;
      const tag = DOLLAR_TAG.exec(script)?.[0];
      if (tag) {
        const close = script.indexOf(tag, i + tag.length);
        i = close === -1 ? n : close + tag.length;
      } else {
        i++;
        while (i < n && /[0-9]/.test(script[i] as string)) i++; // $1
      }
    } else if (IDENT_START.test(c)) {
      code(i);
      let j = i + 1;
      while (j < n && IDENT_CONT.test(script[j] as string)) j++;
      const word = script.slice(i, j).toLowerCase();
      if (word === 'e' && script[j] === "'") {
        i = skipQuoted(j + 1, "'", true); // E'…': backslash escapes
        continue;
      }
      i = j;
      if (words.length < 4) words.push(word);
      if (parens === 0 && inRoutineHeader()) {
        if (word === 'begin') begins++;
        else if (word === 'case' && begins > 0)
          begins++; // CASE … END inside the body
        else if (word === 'end' && begins > 0) begins--;
      }
    } else if (/[0-9]/.test(c)) {
      code(i);
      i++;
      while (i < n && /[0-9A-Za-z_.]/.test(script[i] as string)) i++; // 1e5, 0x1F, 1.5: no E'' here
    } else if (c === ';' && parens === 0 && begins === 0) {
      push(i);
      i++;
    } else {
      if (c === '(') parens++;
      else if (c === ')' && parens > 0) parens--;
      if (!/\s/.test(c)) code(i);
      i++;
    }
  }
  push(n);
  return out;
}

/** The 1-based line of a character offset (a JavaScript string index). */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * The string index of a Postgres error `position` (1-based, counted in characters, i.e. code
 * points, where JavaScript strings count UTF-16 units).
 */
export function indexOfPosition(text: string, position: number): number {
  let index = 0;
  let seen = 1;
  for (const ch of text) {
    if (seen >= position) break;
    index += ch.length;
    seen++;
  }
  return index;
}

/**
 * True when nothing is left open at the end of a script: its last statement, if any, is closed by
 * a top-level `;` (not one inside a string, dollar quote, comment or parentheses).
 * Example: `endsStatement('DO $$ BEGIN PERFORM 1;')` -> false.
 */
export function endsStatement(script: string): boolean {
  // A word appended on a new line is a statement of its own only if the script ended outside one.
  return splitStatements(`${script}\nx`).at(-1)?.sql === 'x';
}
