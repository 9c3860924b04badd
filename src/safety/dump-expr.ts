/**
 * Canonical form of deparsed SQL (pg_get_expr, pg_get_constraintdef, pg_get_indexdef, ...), so
 * that a schema compares equal to itself after a dump and restore. Two rewrites, each of a shape
 * the parser itself makes of the printed text when it reads it back, both meaning-preserving:
 *
 * - AND/OR chains. Postgres's deparser prints every boolean expression in parentheses, one pair
 *   per node. The node shape depends on how the expression was read: `a BETWEEN 3 AND 320 AND b`
 *   becomes an AND whose first argument is another AND (`((x >= 3) AND (x <= 320)) AND b`);
 *   reading that text back (pg_dump, then psql or pg_restore), the parser flattens a left-nested
 *   AND into one node (`(x >= 3) AND (x <= 320) AND b`), so the same constraint prints with other
 *   parentheses. AND and OR are associative (also with NULLs), so splicing an AND group that is an
 *   operand of an AND into it (and likewise OR) never changes what an expression means.
 * - Array coercions of literal lists. `varchar_col IN ('a', 'b')` prints as
 *   `(ARRAY['a'::character varying, 'b'::character varying])::text[]` (one cast of the array), and
 *   read back as `ARRAY[('a'::character varying)::text, ('b'::character varying)::text]` (a cast
 *   of each element); see `castArrays`.
 *
 * See docs/design.md ("Comparing schemas after a dump and restore").
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

const isWord = (i: Item | undefined): i is string => typeof i === 'string' && /^[A-Za-z_"]/.test(i);
const isGroup = (i: Item | undefined, open: '(' | '['): i is Group =>
  typeof i !== 'string' && i?.open === open;

/**
 * The items of a type name as format_type prints it, starting at `items[at]`, up to (not
 * including) its `[]`: lowercase words one space apart (`character varying`, `timestamp with time
 * zone`; keywords print in capitals, so `AND`, `ARRAY` and the like end it), quoted identifiers,
 * `.` between them, and a typmod such as `(10)` or `(10,2)` right after the last word. Returns the
 * index just past the name, or -1 when `items[at]` does not start one.
 */
function typeNameEnd(items: readonly Item[], at: number): number {
  let k = at;
  for (;;) {
    const t = items[k];
    if (!(typeof t === 'string' && (/^[a-z_][a-z0-9_$]*$/.test(t) || /^".*"$/.test(t)))) return -1;
    k++;
    if (
      items[k] === '.' ||
      (items[k] === ' ' && typeof items[k + 1] === 'string' && /^[a-z_]/.test(items[k + 1] as string))
    )
      k++;
    else break;
  }
  const mod = items[k];
  if (
    isGroup(mod, '(') &&
    mod.items.length > 0 &&
    mod.items.every((i) => typeof i === 'string' && /^(\d+|,|\s+)$/.test(i))
  )
    k++;
  return k;
}

/** `'lit'::type`, `E'lit'::type` or `NULL::type` (a scalar type: no `[]`), else undefined. */
function castLiteral(part: readonly Item[]): readonly Item[] | undefined {
  const items = part.filter((i, n) => !isSpace(i) || (n > 0 && n < part.length - 1));
  let k = items[0] === 'E' ? 1 : 0;
  const lit = items[k];
  if (!(lit === 'NULL' || (typeof lit === 'string' && lit.startsWith("'")))) return undefined;
  if (k === 1 && lit === 'NULL') return undefined;
  k++;
  if (items[k] !== ':' || items[k + 1] !== ':') return undefined;
  return typeNameEnd(items, k + 2) === items.length ? items : undefined;
}

/**
 * `(ARRAY[e1, e2])::T[]`, elements all cast literals, becomes `ARRAY[(e1)::T, (e2)::T]`: the way
 * Postgres prints `varchar_col IN ('a', 'b')` (an array coercion of varchar literals) becomes, once
 * the printed text is read back, an array of coerced literals. Casting an array of scalars casts
 * each element, so both mean the same. Innermost first; only a parenthesized ARRAY not right after
 * a word (a function call), and a type followed by exactly one `[]` and no subscript.
 */
function castArrays(items: Item[]): Item[] {
  for (const i of items) if (typeof i !== 'string') i.items = castArrays(i.items);
  const out: Item[] = [];
  for (let k = 0; k < items.length; k++) {
    const g = items[k];
    const arr = isGroup(g, '(') ? g.items : undefined;
    const elems = arr?.length === 2 && arr[0] === 'ARRAY' && isGroup(arr[1], '[') ? arr[1].items : undefined;
    const end = elems && items[k + 1] === ':' && items[k + 2] === ':' ? typeNameEnd(items, k + 3) : -1;
    const brackets = items[end];
    const rewrite =
      elems !== undefined &&
      end > 0 &&
      !isWord(items[k - 1]) &&
      isGroup(brackets, '[') &&
      brackets.items.length === 0 &&
      !isGroup(items[end + 1], '[') &&
      !isGroup(items[end + 1], '(');
    const parts = rewrite ? splitOn(elems, ',').map(castLiteral) : [];
    if (!rewrite || parts.length === 0 || parts.some((p) => p === undefined)) {
      out.push(g as Item);
      continue;
    }
    const type = items.slice(k + 3, end);
    const cast: Item[] = [];
    parts.forEach((p, n) => {
      if (n > 0) cast.push(',', ' ');
      cast.push({ open: '(', items: [...(p as Item[])] }, ':', ':', ...type);
    });
    out.push('ARRAY', { open: '[', items: cast });
    k = end;
  }
  return out;
}

/** The items between each `sep` at the top level. */
function splitOn(items: readonly Item[], sep: string): Item[][] {
  const out: Item[][] = [[]];
  for (const i of items)
    if (i === sep) out.push([]);
    else (out[out.length - 1] as Item[]).push(i);
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

/**
 * The deparsed SQL in the form a dump and restore prints it: array coercions of literal lists as
 * arrays of coerced literals (`castArrays`), then AND/OR chains as one chain (`flatten`). Text
 * whose brackets or quotes do not balance is returned unchanged.
 */
export function canonicalExpressions(text: string): string {
  const items = parse(text);
  if (!items) return text;
  const cast = castArrays(items);
  for (const i of cast) if (typeof i !== 'string') i.items = flatten(i.items);
  return render(cast);
}
