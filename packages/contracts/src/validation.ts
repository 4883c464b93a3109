import type { z } from 'zod';

/**
 * One bad field of an input, named the way a person would type it into the file or body
 * (`miners[3].profiles[1].powerW`), with what was wrong.
 */
export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    // A key a person could not type as a name (a space, a dot, nothing) is shown quoted.
    else if (!/^[A-Za-z0-9_$-]+$/.test(String(key))) out += `[${JSON.stringify(String(key))}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/** Field issues of a failed parse; an unknown key is named itself (`budgetw: unknown field`), not its parent. */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.flatMap((i) => i.code === 'unrecognized_keys'
    ? i.keys.map((k) => ({ field: fieldPath([...i.path, k]), message: 'unknown field' }))
    : [{ field: fieldPath(i.path), message: i.message }]);
}

/** A validation failure that carries the fields at fault; CLI prints it, REST maps it to 400. */
export class InputError extends Error {
  constructor(
    readonly source: string,
    readonly issues: readonly FieldIssue[],
  ) {
    super(`${source}: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
    this.name = 'InputError';
  }
}

/** Parse or throw an InputError naming every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, source: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new InputError(source, fieldIssues(r.error));
  return r.data;
}

/**
 * Well-formed input that the site cannot accept as it stands (a job more GPUs than any host
 * has, priorities the contract cannot satisfy): REST maps it to 422 with the field named.
 */
export class RefusedError extends Error {
  constructor(
    readonly title: string,
    readonly issue: FieldIssue,
  ) {
    super(`${issue.field}: ${issue.message}`);
    this.name = 'RefusedError';
  }
}
