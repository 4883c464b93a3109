import type { Request } from 'express';
import { z } from 'zod';
import { IdSchema, parseInput } from '@wattbroker/contracts';

const NoQuerySchema = z.strictObject({});

/** A route that takes no query parameters refuses any, naming it (a typo must not pass unnoticed). */
export function noQuery(req: Request): void {
  parseInput(NoQuerySchema, req.query, 'query');
}

/** A path parameter that names a record (job, device, grid event, schedule): an id's characters only. */
export function idParam(req: Request, name = 'id'): string {
  return parseInput(z.strictObject({ [name]: IdSchema }), { [name]: req.params[name] }, 'path')[name] as string;
}
