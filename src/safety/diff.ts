import { createTwoFilesPatch } from 'diff';

/**
 * A unified diff of two schema dumps (3 lines of context), or '' when they are equal.
 * Example: `schemaDiff(before, after, 'before up', 'after down')`.
 */
export function schemaDiff(a: string, b: string, aName: string, bName: string): string {
  if (a === b) return '';
  const patch = createTwoFilesPatch(aName, bName, a, b, '', '', { context: 3 });
  // jsdiff starts with a line of '=' (its "Index:" layout); the unified diff proper starts at '---'.
  return patch.slice(patch.indexOf('--- ')).replace(/\t$/gm, '');
}
