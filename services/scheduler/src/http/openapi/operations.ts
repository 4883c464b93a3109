import { z } from 'zod';
import {
  AuditViewSchema, ComplianceReportSchema, ContractBodySchema, DevicePatchSchema, DeviceViewSchema, EnergyPriceBodySchema, GridEventBodySchema,
  GridEventViewSchema, GridScheduleBodySchema, GridScheduleViewSchema, HashpriceBodySchema, HealthSchema, HostViewSchema,
  JobAcceptedSchema, JobBodySchema, JobViewSchema, KpisQuerySchema, KpisViewSchema, PlanExplanationSchema, PricesViewSchema, PrioritiesBodySchema,
  PrioritiesViewSchema, ReadinessSchema, SiteViewSchema,
} from '@wattbroker/contracts';
import type { Role } from '../auth.js';
import { AuditQuerySchema } from '../routes/audit.js';
import { DeviceListQuerySchema } from '../routes/devices.js';
import { GridEventListQuerySchema, ReportQuerySchema } from '../routes/grid-events.js';
import { GridScheduleListQuerySchema } from '../routes/grid-schedules.js';
import { JobListQuerySchema } from '../routes/jobs.js';
import { HostListQuerySchema } from '../routes/site.js';

/**
 * Every operation of the REST API, as the OpenAPI document states it: who may call it, what
 * it takes and what it answers. The schemas are the ones the routes parse and answer with, so
 * the document cannot drift from them; a test checks that every route the app registers is
 * listed here.
 */
export interface Operation {
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express path (`/v1/jobs/:id`). */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  /** Least role needed; none for the unauthenticated health checks and the API's own description. */
  readonly role: Role | null;
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  /** Status → schema of the JSON answer (null: no body, or not JSON). */
  readonly ok: Readonly<Record<number, z.ZodType | null>>;
  /** Problem statuses beyond those every authenticated call may answer (400 bad input, 401, 403, 503 standby). */
  readonly problems?: readonly number[];
  /** Other content types of a 200 (the CSV report, the HTML reference). */
  readonly alsoServes?: string;
  /** Answers as pages (`limit`, `cursor`, `X-Next-Cursor`). */
  readonly paged?: boolean;
}

const ContractViewSchema = z.object({ capKw: z.number(), marginKw: z.number() });
const BusViewSchema = z.object({ refused: z.object({ foreignHost: z.number().int(), invalid: z.number().int(), foreignDevice: z.number().int(), foreignJob: z.number().int(), forgedEpoch: z.number().int() }) });

export const OPERATIONS: readonly Operation[] = [
  { method: 'get', path: '/healthz', tag: 'health', role: null, summary: 'Liveness: the process answers', ok: { 200: HealthSchema } },
  { method: 'get', path: '/readyz', tag: 'health', role: null, summary: 'Readiness: 200 only while Redis answers and this process leads', ok: { 200: ReadinessSchema, 503: ReadinessSchema } },
  { method: 'get', path: '/v1/openapi.json', tag: 'meta', role: null, summary: 'This document (OpenAPI 3.1)', ok: { 200: null } },
  { method: 'get', path: '/v1/reference', tag: 'meta', role: null, summary: 'This document as an HTML page', ok: { 200: null }, alsoServes: 'text/html' },
  { method: 'get', path: '/v1/site', tag: 'site', role: 'viewer', summary: 'The site now: contract, effective cap, power by class, hashrate, jobs', ok: { 200: SiteViewSchema } },
  { method: 'put', path: '/v1/site/contract', tag: 'site', role: 'operator', summary: 'Change the contract cap and margin', body: ContractBodySchema, ok: { 200: ContractViewSchema } },
  { method: 'get', path: '/v1/hosts', tag: 'site', role: 'viewer', summary: 'Agent hosts, live or silent', query: HostListQuerySchema, ok: { 200: z.array(HostViewSchema) }, paged: true },
  { method: 'get', path: '/v1/devices', tag: 'devices', role: 'viewer', summary: 'Miners and GPUs with their reading, target and status', query: DeviceListQuerySchema, ok: { 200: z.array(DeviceViewSchema) }, paged: true },
  { method: 'get', path: '/v1/devices/:id', tag: 'devices', role: 'viewer', summary: 'One device', ok: { 200: DeviceViewSchema }, problems: [404] },
  { method: 'patch', path: '/v1/devices/:id', tag: 'devices', role: 'operator', summary: 'Pin a miner\'s profile or put a device in maintenance', body: DevicePatchSchema, ok: { 200: DeviceViewSchema }, problems: [404] },
  { method: 'post', path: '/v1/jobs', tag: 'jobs', role: 'tenant', summary: 'Submit a GPU job (queued; admitted when its power is confirmed free)', body: JobBodySchema, ok: { 202: JobAcceptedSchema }, problems: [422] },
  { method: 'get', path: '/v1/jobs', tag: 'jobs', role: 'viewer', summary: 'Jobs, newest first (default limit 100)', query: JobListQuerySchema, ok: { 200: z.array(JobViewSchema) }, paged: true },
  { method: 'get', path: '/v1/jobs/:id', tag: 'jobs', role: 'viewer', summary: 'One job', ok: { 200: JobViewSchema }, problems: [404] },
  { method: 'delete', path: '/v1/jobs/:id', tag: 'jobs', role: 'tenant', summary: 'Cancel a job', ok: { 200: JobViewSchema }, problems: [404] },
  { method: 'post', path: '/v1/grid/events', tag: 'grid', role: 'operator', summary: 'Add a grid event (a cap, or a shed from the baseline)', body: GridEventBodySchema, ok: { 201: GridEventViewSchema } },
  { method: 'get', path: '/v1/grid/events', tag: 'grid', role: 'viewer', summary: 'Grid events by start time', query: GridEventListQuerySchema, ok: { 200: z.array(GridEventViewSchema) }, paged: true },
  { method: 'delete', path: '/v1/grid/events/:id', tag: 'grid', role: 'operator', summary: 'Delete a grid event', ok: { 204: null }, problems: [404] },
  { method: 'get', path: '/v1/grid/events/:id/report', tag: 'grid', role: 'viewer', summary: 'Compliance report of an event (JSON, or CSV with Accept: text/csv)', query: ReportQuerySchema, ok: { 200: ComplianceReportSchema }, alsoServes: 'text/csv', problems: [404] },
  { method: 'get', path: '/v1/grid/schedules', tag: 'grid', role: 'viewer', summary: 'Recurring grid windows', query: GridScheduleListQuerySchema, ok: { 200: z.array(GridScheduleViewSchema) }, paged: true },
  { method: 'post', path: '/v1/grid/schedules', tag: 'grid', role: 'operator', summary: 'Add or replace a recurring grid window', body: GridScheduleBodySchema, ok: { 201: GridScheduleViewSchema } },
  { method: 'delete', path: '/v1/grid/schedules/:name', tag: 'grid', role: 'operator', summary: 'Delete a recurring grid window', ok: { 204: null }, problems: [404] },
  { method: 'get', path: '/v1/priorities', tag: 'settings', role: 'viewer', summary: 'The priority list, highest first', ok: { 200: PrioritiesViewSchema } },
  { method: 'put', path: '/v1/priorities', tag: 'settings', role: 'operator', summary: 'Replace the priority list', body: PrioritiesBodySchema, ok: { 200: PrioritiesViewSchema }, problems: [413, 422] },
  { method: 'get', path: '/v1/prices', tag: 'settings', role: 'viewer', summary: 'Energy price and hashprice in use', ok: { 200: PricesViewSchema } },
  { method: 'put', path: '/v1/prices/energy', tag: 'settings', role: 'operator', summary: 'Set the energy price, now or as a schedule', body: EnergyPriceBodySchema, ok: { 200: PricesViewSchema } },
  { method: 'put', path: '/v1/prices/hash', tag: 'settings', role: 'operator', summary: 'Set the hashprice', body: HashpriceBodySchema, ok: { 200: PricesViewSchema } },
  { method: 'get', path: '/v1/audit', tag: 'settings', role: 'operator', summary: 'The audit trail of every write made through the API, newest first (actor, role, route, request id, body, before, after)', query: AuditQuerySchema, ok: { 200: z.array(AuditViewSchema) }, paged: true },
  { method: 'get', path: '/v1/kpis', tag: 'site', role: 'viewer', summary: 'The backtest\'s KPIs, live, over a window of the recorded site samples (default 1h, at most 24h)', query: KpisQuerySchema, ok: { 200: KpisViewSchema } },
  { method: 'get', path: '/v1/bus', tag: 'site', role: 'viewer', summary: 'Agent messages refused since this scheduler started: naming another host than their sender, invalid, or an epoch above the site\'s', ok: { 200: BusViewSchema } },
  { method: 'get', path: '/v1/stream', tag: 'site', role: 'viewer', summary: 'Server-Sent Events: `history` (the last 10 minutes of site samples), then one `sample` a second', ok: { 200: null }, alsoServes: 'text/event-stream' },
  { method: 'get', path: '/metrics', tag: 'meta', role: 'viewer', summary: 'Prometheus metrics (text exposition format; a standby answers too)', ok: { 200: null }, alsoServes: 'text/plain' },
  { method: 'get', path: '/v1/plan', tag: 'settings', role: 'viewer', summary: 'The latest plan and why (per class, waiting jobs, reconciliation)', ok: { 200: PlanExplanationSchema }, problems: [503] },
];
