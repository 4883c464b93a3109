import type { Redis } from 'ioredis';
import type { DeviceOverride, EnergyPrice, GridCap, Job, PriorityClassSpec, Registration } from '@wattbroker/core';

/**
 * What must survive a scheduler restart (DESIGN rule 9), in Redis: jobs, the contract, grid
 * events and the last registration of every host. Writes that belong together (a job and
 * its index) go in one MULTI.
 */
const K = {
  jobs: '{wb}:jobs',
  activeJobs: '{wb}:jobs:active',
  jobOrder: '{wb}:jobs:order',
  contract: '{wb}:site:contract',
  grid: '{wb}:grid:events',
  hosts: '{wb}:hosts',
  energyPrice: '{wb}:prices:energy',
  hashprice: '{wb}:prices:hash',
  priorities: '{wb}:priorities',
  overrides: '{wb}:devices:overrides',
};

export interface Contract {
  capW: number;
  marginW: number;
}

const terminal = new Set(['done', 'failed', 'cancelled']);

export class Store {
  constructor(private readonly redis: Redis) {}

  async saveJob(job: Job): Promise<void> {
    await this.saveJobs([job]);
  }

  /** Jobs and their indexes in one MULTI (one round trip, all or nothing). */
  async saveJobs(jobs: readonly Job[]): Promise<void> {
    const m = this.redis.multi();
    for (const job of jobs) {
      m.hset(K.jobs, job.id, JSON.stringify(job));
      if (terminal.has(job.state)) m.srem(K.activeJobs, job.id);
      else m.sadd(K.activeJobs, job.id);
      m.zadd(K.jobOrder, 'NX', String(job.timestamps.queued ?? Date.now()), job.id);
    }
    await m.exec();
  }

  async job(id: string): Promise<Job | undefined> {
    const raw = await this.redis.hget(K.jobs, id);
    return raw ? (JSON.parse(raw) as Job) : undefined;
  }

  async activeJobs(): Promise<Job[]> {
    const ids = await this.redis.smembers(K.activeJobs);
    if (ids.length === 0) return [];
    const raws = await this.redis.hmget(K.jobs, ...ids);
    return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as Job);
  }

  /** Newest first. */
  async jobs(limit: number): Promise<Job[]> {
    const ids = await this.redis.zrevrange(K.jobOrder, 0, limit - 1);
    if (ids.length === 0) return [];
    const raws = await this.redis.hmget(K.jobs, ...ids);
    return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as Job);
  }

  async contract(): Promise<Contract | undefined> {
    const raw = await this.redis.get(K.contract);
    return raw ? (JSON.parse(raw) as Contract) : undefined;
  }

  async saveContract(c: Contract): Promise<void> {
    await this.redis.set(K.contract, JSON.stringify(c));
  }

  async gridEvents(): Promise<GridCap[]> {
    const all = await this.redis.hvals(K.grid);
    return all.map((r) => JSON.parse(r) as GridCap).sort((a, b) => a.startsAt - b.startsAt);
  }

  async saveGridEvent(e: GridCap): Promise<void> {
    await this.redis.hset(K.grid, e.id, JSON.stringify(e));
  }

  async deleteGridEvent(id: string): Promise<boolean> {
    return (await this.redis.hdel(K.grid, id)) === 1;
  }

  async energyPrice(): Promise<EnergyPrice | undefined> {
    const raw = await this.redis.get(K.energyPrice);
    return raw ? (JSON.parse(raw) as EnergyPrice) : undefined;
  }

  async saveEnergyPrice(p: EnergyPrice): Promise<void> {
    await this.redis.set(K.energyPrice, JSON.stringify(p));
  }

  async hashprice(): Promise<number | undefined> {
    const raw = await this.redis.get(K.hashprice);
    return raw === null ? undefined : Number(raw);
  }

  async saveHashprice(v: number): Promise<void> {
    await this.redis.set(K.hashprice, String(v));
  }

  async priorities(): Promise<PriorityClassSpec[] | undefined> {
    const raw = await this.redis.get(K.priorities);
    return raw ? (JSON.parse(raw) as PriorityClassSpec[]) : undefined;
  }

  async savePriorities(list: readonly PriorityClassSpec[]): Promise<void> {
    await this.redis.set(K.priorities, JSON.stringify(list));
  }

  async overrides(): Promise<Map<string, DeviceOverride>> {
    const all = await this.redis.hgetall(K.overrides);
    return new Map(Object.entries(all).map(([id, raw]) => [id, JSON.parse(raw) as DeviceOverride]));
  }

  async saveOverride(id: string, o: DeviceOverride): Promise<void> {
    if (o.pinnedProfile === undefined && !o.maintenance) await this.redis.hdel(K.overrides, id);
    else await this.redis.hset(K.overrides, id, JSON.stringify(o));
  }

  async saveRegistration(r: Registration): Promise<void> {
    await this.redis.hset(K.hosts, r.hostId, JSON.stringify(r));
  }

  async registrations(): Promise<Registration[]> {
    return (await this.redis.hvals(K.hosts)).map((r) => JSON.parse(r) as Registration);
  }
}
