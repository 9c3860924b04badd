/**
 * Canonical form of the AND/OR chains in deparsed SQL (pg_get_expr, pg_get_constraintdef,
 * pg_get_indexdef, ...), so that a schema compares equal to itself after a dump and restore.
 *
 * Postgres's deparser prints every boolean expression in parentheses, one pair per node. The node
 * shape depends on how the expression was read: `a BETWEEN 3 AND 320 AND b` becomes an AND whose
 * first argument is another AND (`((x >= 3) AND (x <= 320)) AND b`); reading that text back
 * (pg_dump, then psql or pg_restore), the parser flattens a left-nested AND into one node
 * (`(x >= 3) AND (x <= 320) AND b`), so the same constraint prints with other parentheses. AND and
 * OR are associative (also with NULLs), so splicing an AND group that is an operand of an AND into
 * it (and likewise OR) never changes what an expression means; it is all this module does. See
 * docs/design.md ("Comparing schemas after a dump and restore").
 */

type Item = string | Group;

interface Group {
  readonly open: '(' | '[';
  items: Item[];
}

/**
 * Literals, dollar-quoted text (a function's source as written), quoted identifiers, words,
 * whitespace, then any other single character.
 */
const TOKEN =
  /'(?:[^']|'')*'|\$([A-Za-z_][A-Za-z0-9_]*)?\$[\s\S]*?\$\1\$|"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*|\s+|[\s\S]/g;

const CLOSE: Record<string, '(' | '['> = { ')': '(', ']': '[' };

/** The text as nested groups; undefined when its brackets or quotes do not balance. */
function parse(text: string): Item[] | undefined {
  const tokens = text.match(TOKEN) ?? [];
  if (tokens.join('') !== text) return undefined;
  const root: Group = { open: '(', items: [] };
  const stack: Group[] = [root];
  for (const t of tokens) {
    const top = stack[stack.length - 1] as Group;
    if (t === '(' || t === '[') {
      const g: Group = { open: t, items: [] };
      top.items.push(g);
      stack.push(g);
    } else if (t in CLOSE) {
      if (stack.length === 1 || top.open !== CLOSE[t]) return undefined;
      stack.pop();
    } else if ((t[0] === "'" || t[0] === '"') && (t.length < 2 || t[t.length - 1] !== t[0])) {
      return undefined;
    } else top.items.push(t);
  }
  return stack.length === 1 ? root.items : undefined;
}

const render = (items: readonly Item[]): string =>
  items
    .map((i) => (typeof i === 'string' ? i : `${i.open}${render(i.items)}${i.open === '(' ? ')' : ']'}`))
    .join('');

const isSpace = (i: Item): boolean => typeof i === 'string' && /^\s+$/.test(i);

/** The operator of a group's top level when it is a chain of one operator: AND or OR, else none. */
function chainOf(items: readonly Item[]): 'AND' | 'OR' | undefined {
  const has = (t: string): boolean => items.includes(t);
  if (has(',')) return undefined;
  if (has('AND') && !has('OR')) return 'AND';
  if (has('OR') && !has('AND')) return 'OR';
  return undefined;
}

/** Splices each `( ... op ... )` operand of a chain of `op` into that chain, innermost first. */
function flatten(items: Item[]): Item[] {
  for (const i of items) if (typeof i !== 'string') i.items = flatten(i.items);
  const op = chainOf(items);
  if (!op) return items;
  const out: Item[] = [];
  // An operand is what lies between two `op` tokens (or an end): splice it when it is one group.
  let start = 0;
  for (let k = 0; k <= items.length; k++) {
    if (k < items.length && items[k] !== op) continue;
    const part = items.slice(start, k);
    const inner = part.filter((i) => !isSpace(i));
    const only = inner.length === 1 ? inner[0] : undefined;
    if (only !== undefined && typeof only !== 'string' && only.open === '(' && chainOf(only.items) === op) {
      const at = part.indexOf(only);
      out.push(...part.slice(0, at), ...only.items, ...part.slice(at + 1));
    } else out.push(...part);
    if (k < items.length) out.push(op);
    start = k + 1;
  }
  return out;
}

/**
 * The deparsed SQL with nested AND (and OR) chains made one chain:
 * `((((a >= 3) AND (a <= 9)) AND b))` -> `(((a >= 3) AND (a <= 9) AND b))`, as Postgres prints the
 * expression once it has read it back. Literals, dollar-quoted bodies and quoted identifiers are
 * left as they are; text whose brackets or quotes do not balance is returned unchanged.
 */
export function canonicalBoolChains(text: string): string {
  const items = parse(text);
  if (!items) return text;
  // Only inside parentheses: the deparser puts every AND/OR chain in a pair of its own.
  for (const i of items) if (typeof i !== 'string') i.items = flatten(i.items);
  return render(items);
}
