import { Ajv, type ErrorObject, type Options } from 'ajv';
import formats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { ErrorDetail } from '../errors.js';

/**
 * Fastify's Ajv defaults, except that nothing is silently removed: an unknown field is a 400.
 * Ajv 8's minLength/maxLength count code points (its `unicode` option is deprecated and on), as the
 * library's caps and Postgres' char_length do: an emoji is one character (test/store/char-lengths).
 */
const COMMON: Options = { useDefaults: true, removeAdditional: false, addUsedSchema: false };

const ajvFor = (options: Options): Ajv => {
  const ajv = new Ajv({ ...COMMON, ...options });
  formats.default(ajv);
  return ajv;
};

/**
 * JSON bodies are typed already: they are validated as sent (`"12345"` is not a number, `true` is
 * not a string), with every error reported (bodies are bounded by the body limit and the schemas'
 * maxItems/maxLength). Query strings, path parameters and headers arrive as text, so they are
 * coerced (`limit=20` is the integer 20); the first error is enough there.
 */
const BODY = ajvFor({ coerceTypes: false, allErrors: true });
const TEXT = ajvFor({ coerceTypes: 'array', allErrors: false });

/**
 * Compiles a route's schema with the Ajv of its part of the request (Fastify's httpPart), at the
 * route's first request rather than at start: compiling every route's schemas up front was a fifth
 * of the embedded start (docs/design.md, "Start-up"). Shared schemas (app.addSchema) are not known
 * here: request schemas are self-contained.
 */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  onFirstUse(() =>
    httpPart === 'body' ? BODY.compile(schema as object) : canonicalIntegers(schema as object),
  );

/** A validator that compiles itself when first called; its errors are those of the last call. */
function onFirstUse(compile: () => Validate): Validate {
  let validate: Validate | undefined;
  const check: Validate = (data) => {
    validate ??= compile();
    const ok = validate(data);
    check.errors = validate.errors ?? null;
    return ok;
  };
  return check;
}

/** An integer as a query string should spell it: decimal digits, no sign, space, exponent or 0x. */
const DECIMAL = /^(0|[1-9][0-9]*)$/;

type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/**
 * The TEXT validator of a schema, with its integer properties held to DECIMAL first: Ajv's
 * coercion is JavaScript's Number(), which reads `0x10`, `1e2` and ` 10` as numbers, so a limit
 * could be spelt many ways; here there is one.
 */
function canonicalIntegers(schema: object): Validate {
  const validate = TEXT.compile(schema);
  const props = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
  const integers = Object.keys(props).filter((k) => props[k]?.type === 'integer');
  if (integers.length === 0) return validate;
  const check: Validate = (data) => {
    for (const key of integers) {
      const raw = (data as Record<string, unknown> | null)?.[key];
      const value = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw;
      // What Number() would read as a number but is not spelt in decimal digits; the rest (`abc`)
      // Ajv reports as it does any other type error.
      const numeric = typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value));
      if (numeric && !DECIMAL.test(value)) {
        check.errors = [
          {
            instancePath: `/${key}`,
            schemaPath: `#/properties/${key}/type`,
            keyword: 'type',
            params: { type: 'integer' },
            message: 'must be a whole number in decimal digits (such as 20)',
          },
        ];
        return false;
      }
    }
    const ok = validate(data);
    check.errors = validate.errors ?? null;
    return ok;
  };
  return check;
}

/** A JSON pointer (`/citations/0/score`) as the API's dotted path (`citations.0.score`). */
const dotted = (pointer: string): string =>
  pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');

const join = (items: string[]): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;

/**
 * One message for a failed union (anyOf/oneOf) from the errors of its branches: the constraint the
 * value broke when its type matched a branch (`must be <= 1`), else what it could have been
 * (`must be "beginner", "intermediate", "advanced" or null`).
 */
function unionMessage(union: ErrorObject, branches: ErrorObject[]): string {
  const constraints = branches.filter((b) => b.keyword !== 'type' && b.keyword !== 'const');
  if (constraints.length > 0)
    return [...new Set(constraints.map((b) => b.message ?? 'is invalid'))].join('; ');
  const allowed = new Map<string, string>();
  for (const b of branches) {
    const branch = b.schemaPath.slice(union.schemaPath.length + 1).split('/')[0] ?? '';
    const value =
      b.keyword === 'const' ? JSON.stringify(b.params.allowedValue) : String(b.params.type ?? 'valid');
    if (b.keyword === 'const' || !allowed.has(branch)) allowed.set(branch, value);
  }
  return `must be ${join([...new Set(allowed.values())])}`;
}

/**
 * Ajv's errors as `{ path, message }` with paths like `body.role`, `querystring.limit`,
 * `headers.idempotency-key`: a missing or unknown property is named in the path, and the branch
 * errors of a union are folded into one message.
 */
export function validationDetails(part: string, errors: readonly ErrorObject[]): ErrorDetail[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const inUnion = (e: ErrorObject) => unions.some((u) => e.schemaPath.startsWith(`${u.schemaPath}/`));
  const out = new Map<string, ErrorDetail>();
  for (const e of errors) {
    if (inUnion(e)) continue;
    let path = dotted(e.instancePath);
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'required') {
      path = path ? `${path}.${e.params.missingProperty}` : String(e.params.missingProperty);
      message = 'is required';
    } else if (e.keyword === 'additionalProperties') {
      path = path ? `${path}.${e.params.additionalProperty}` : String(e.params.additionalProperty);
      message = 'is not allowed';
    } else if (unions.includes(e)) {
      message = unionMessage(
        e,
        errors.filter((b) => b.schemaPath.startsWith(`${e.schemaPath}/`)),
      );
    }
    const full = path ? `${part}.${path}` : part;
    out.set(`${full}\u0000${message}`, { path: full, message });
  }
  return [...out.values()];
}
