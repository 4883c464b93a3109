import { z } from 'zod';

/**
 * The fleet file of `wattbroker plan`: miners with the options the planner may choose, a
 * budget, and optionally prices. Profiles may come in any order and may be dominated or
 * non-convex; the planner copes. Objects are strict so that a misspelt key (`budgetw`) is an
 * error rather than a silently ignored setting.
 */
export const PlanProfileSchema = z.strictObject({
  name: z.string().min(1),
  powerW: z.number().finite().nonnegative(),
  hashrateThs: z.number().finite().nonnegative(),
});

export const PlanMinerSchema = z.strictObject({
  id: z.string().min(1),
  profiles: z.array(PlanProfileSchema).min(1),
  zone: z.string().min(1).optional(),
  pinnedProfile: z.string().min(1).optional(),
});

export const FleetFileSchema = z
  .strictObject({
    budgetW: z.number().finite().positive().optional(),
    energyPricePerMWh: z.number().finite().nonnegative().optional(),
    hashpricePerThDay: z.number().finite().positive().optional(),
    /** Zone name → budget (W) for the miners in that zone. */
    zones: z.record(z.string().min(1), z.number().finite().positive()).optional(),
    miners: z.array(PlanMinerSchema).min(1),
  })
  .superRefine((f, ctx) => {
    if ((f.energyPricePerMWh === undefined) !== (f.hashpricePerThDay === undefined)) {
      const missing = f.energyPricePerMWh === undefined ? 'energyPricePerMWh' : 'hashpricePerThDay';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'required when the other price is given (the price stop needs both)' });
    }
    const ids = new Map<string, number>();
    f.miners.forEach((m, i) => {
      const first = ids.get(m.id);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['miners', i, 'id'], message: `duplicate id "${m.id}" (also miners[${first}])` });
      } else ids.set(m.id, i);
      const names = new Set<string>();
      m.profiles.forEach((p, j) => {
        if (names.has(p.name)) {
          ctx.addIssue({ code: 'custom', path: ['miners', i, 'profiles', j, 'name'], message: `duplicate profile name "${p.name}"` });
        }
        names.add(p.name);
      });
      if (m.pinnedProfile !== undefined && !names.has(m.pinnedProfile)) {
        ctx.addIssue({ code: 'custom', path: ['miners', i, 'pinnedProfile'], message: `"${m.pinnedProfile}" is not one of this miner's profiles` });
      }
      if (m.zone !== undefined && f.zones !== undefined && !(m.zone in f.zones)) {
        ctx.addIssue({ code: 'custom', path: ['miners', i, 'zone'], message: `zone "${m.zone}" has no budget in "zones"` });
      }
    });
  });

export type FleetFile = z.infer<typeof FleetFileSchema>;
