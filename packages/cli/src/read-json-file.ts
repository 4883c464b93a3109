import { readFile } from 'node:fs/promises';
import { InputError, parseInput } from '@wattbroker/contracts';
import type { z } from 'zod';
import { CliError, EXIT } from './cli-error.js';

/** Read and validate a JSON file; every failure becomes one clear line naming the file. */
export async function readJsonFile<S extends z.ZodType>(path: string, schema: S, what = 'fleet file'): Promise<z.infer<S>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.usage);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CliError(`${path}: not valid JSON (${(e as Error).message})`, EXIT.usage);
  }
  try {
    return parseInput(schema, value, path);
  } catch (e) {
    if (e instanceof InputError) {
      const shown = e.issues.slice(0, 10).map((i) => `  ${i.field}: ${i.message}`);
      const more = e.issues.length > 10 ? [`  … and ${e.issues.length - 10} more`] : [];
      throw new CliError([`${path}: invalid ${what}`, ...shown, ...more].join('\n'), EXIT.usage);
    }
    throw e;
  }
}
