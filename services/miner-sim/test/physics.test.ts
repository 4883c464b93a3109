import { describe, expect, it } from 'vitest';
import { makeAsicUnit } from '@wattbroker/core';
import { MinerPhysics } from '../src/index.js';

const unit = makeAsicUnit('s19kpro', 'm-0001', 1);
const at = (name: string) => unit.profiles.findIndex((p) => p.name === name);

describe('miner physics (virtual time)', () => {
  it('ramps 5 MHz per tick toward a new profile, ramping until it arrives, power following', () => {
    const ph = new MinerPhysics(unit, 1, 'default', { tickS: 0.5 });
    const p0 = ph.powerW;
    ph.setTarget(at('490MHz')); // 100 MHz down = 20 ticks = 10 s
    ph.advanceTo(2);
    expect(ph.ramping).toBe(true);
    expect(ph.frequencyMHz).toBe(570);
    expect(ph.powerW).toBeLessThan(p0);
    ph.advanceTo(9.6);
    expect(ph.ramping).toBe(true);
    ph.advanceTo(10.5);
    expect(ph.ramping).toBe(false);
    expect(ph.frequencyMHz).toBe(490);
    const row = unit.profiles[at('490MHz')]!;
    // True draw = the table estimate times this unit's bias (within rounding).
    expect(ph.powerW / (row.powerW * unit.powerBias)).toBeCloseTo(1, 2);
    expect(Math.abs(ph.powerW / row.powerW - 1)).toBeLessThanOrEqual(0.11);
  });

  it('reported power carries noise around the truth', () => {
    const ph = new MinerPhysics(unit, 2);
    const readings = Array.from({ length: 200 }, () => ph.reportedPowerW());
    const mean = readings.reduce((a, b) => a + b, 0) / readings.length;
    expect(new Set(readings).size).toBeGreaterThan(5);
    expect(Math.abs(mean / ph.powerW - 1)).toBeLessThan(0.005);
  });

  it('sleep falls to about 25 W within about 5 s; a safe wake boots then ramps up from the lowest profile', () => {
    const ph = new MinerPhysics(unit, 3, 'default', { tickS: 0.5, bootS: 45 });
    ph.sleep();
    ph.advanceTo(5);
    expect(ph.powerW).toBeLessThan(50);
    expect(ph.hashrateThs).toBe(0);
    ph.advanceTo(60);
    expect(ph.powerW).toBeCloseTo(25, 0);
    ph.wake(false);
    ph.advanceTo(100); // 40 s into the boot
    expect(ph.mode).toBe('waking');
    expect(ph.hashrateThs).toBe(0);
    ph.advanceTo(110);
    expect(ph.mode).toBe('mining');
    expect(ph.ramping).toBe(true);
    expect(ph.frequencyMHz).toBeLessThan(ph.target.frequencyMHz);
    ph.advanceTo(160); // 400 MHz from 190 = 80 ticks = 40 s after boot
    expect(ph.ramping).toBe(false);
    expect(ph.frequencyMHz).toBe(590);
  });

  it('an unsafe wake reaches full power in under 10 s', () => {
    const ph = new MinerPhysics(unit, 4, 'default', { unsafeBootS: 3 });
    const full = ph.powerW;
    ph.sleep();
    ph.advanceTo(20);
    ph.wake(true);
    ph.advanceTo(29);
    expect(ph.ramping).toBe(false);
    expect(ph.powerW).toBeCloseTo(full, 0);
  });

  it('hashrate averages lag like moving averages, and counters grow with hashrate', () => {
    const ph = new MinerPhysics(unit, 5);
    const before = { ...ph.averageThs };
    const accepted = ph.accepted;
    ph.sleep();
    ph.advanceTo(30);
    expect(ph.averageThs['5s']).toBeLessThan(0.01 * before['5s']);
    expect(ph.averageThs['1m']).toBeGreaterThan(0.4 * before['1m']);
    expect(ph.averageThs['1m']).toBeLessThan(0.7 * before['1m']);
    expect(ph.averageThs['24h']).toBeGreaterThan(0.99 * before['24h']);
    const asleep = ph.accepted;
    expect(asleep - accepted).toBeLessThan(1); // boards off: no shares
    ph.advanceTo(600);
    expect(ph.accepted - asleep).toBeLessThan(1); // none while asleep
    ph.wake(true);
    ph.advanceTo(700);
    // ~0.43 shares/s at 121.8 TH/s and difficulty 32768 (the recorded miner: 1483 in 3453 s at 60 TH/s).
    expect(ph.accepted - asleep).toBeGreaterThan(30);
    expect(ph.elapsedS).toBeCloseTo(3600 + 700, 3);
  });
});
