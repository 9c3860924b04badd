/** One statement of a migration, located in its file, in the forms the lint rules read. */
export interface ScannedStatement {
  /** 1-based line of the statement's first token in the file. */
  readonly line: number;
  /** The statement with comments blanked, literals kept (for reading values such as enum labels). */
  readonly code: string;
  /** The statement with comments and the contents of strings and dollar quotes blanked (for keywords). */
  readonly bare: string;
}

/**
 * Blanks the comments of one statement (`code`), and also the contents of its strings and dollar
 * quotes (`bare`), understanding `--` and nested block comments, E'' escapes, quoted identifiers
 * and dollar-quote tags, so a keyword inside a comment or a function body is not mistaken for one.
 */
export function lexStatement(text: string): { code: string; bare: string } {
  let code = '';
  let bare = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i] as string;
    const next = text[i + 1];
    if (ch === '\n') {
      code += ch;
      bare += ch;
      i++;
    } else if (ch === '-' && next === '-') {
      while (i < n && text[i] !== '\n') i++;
      code += ' ';
      bare += ' ';
    } else if (ch === '/' && next === '*') {
      let depth = 0;
      while (i < n) {
        if (text[i] === '/' && text[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (text[i] === '*' && text[i + 1] === '/') {
          depth--;
          i += 2;
          if (depth === 0) break;
        } else i++;
      }
      code += ' ';
      bare += ' ';
    } else if (ch === "'" || ch === '"') {
      const escapes = ch === "'" && /[eE]/.test(text[i - 1] ?? '') && !/[\w$]/.test(text[i - 2] ?? '');
      let j = i + 1;
      while (j < n) {
        if (escapes && text[j] === '\\') j += 2;
        else if (text[j] === ch && text[j + 1] === ch) j += 2;
        else if (text[j] === ch) break;
        else j++;
      }
      const lit = text.slice(i, j + 1);
      code += lit;
      bare += ch === '"' ? lit : `${ch}${ch}`;
      i = j + 1;
    } else if (ch === '$' && !/[\w$]/.test(text[i - 1] ?? '')) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i));
      if (!tag) {
        code += ch;
        bare += ch;
        i++;
        continue;
      }
      const end = text.indexOf(tag[0], i + tag[0].length);
      const stop = end < 0 ? n : end + tag[0].length;
      const lit = text.slice(i, stop);
      code += lit;
      bare += `${tag[0]}${tag[0]}`;
      i = stop;
    } else {
      code += ch;
      bare += ch;
      i++;
    }
  }
  return { code: code.trim(), bare: bare.trim() };
}
