/// <reference lib="dom" />
// (page.evaluate and waitForFunction bodies run in the browser)
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR, TENANT, api, liveHosts, startTestSite, type TestSite } from '../src/site.js';

/** Debian's chromium (scripts/test installs it); CHROMIUM overrides the path. */
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));

/** The live dashboard in a real browser against a whole site as processes. */
describe('dashboard in Chromium', () => {
  let site: TestSite;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const points = async () => Number(await page.locator('#chart').getAttribute('data-points'));

  beforeAll(async () => {
    site = await startTestSite({ miners: 12, asicHosts: 2, gpuHosts: 1, gpusPerHost: 2, speed: 10 });
    await liveHosts(site, 3);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // Console errors other than the browser's note on a failed load (the bad inputs below get their 400s on purpose).
    page.on('console', (m) => void (m.type() === 'error' && !/^Failed to load resource/.test(m.text()) && pageErrors.push(m.text())));
    page.on('response', (r) => void ((r.status() === 404 || r.status() >= 500) && pageErrors.push(`${r.status()} ${r.url()}`)));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await site?.stop();
  });

  it('loads with the token from the URL fragment, and the chart, status line and fleet update live', async () => {
    await page.goto(`${site.api}/#token=${OPERATOR}`);
    // The token is taken into the session and dropped from the address.
    await page.waitForFunction(() => location.hash === '' && sessionStorage.getItem('wattbroker.token') !== null);
    await page.locator('#app').waitFor({ state: 'visible' });
    await page.waitForFunction(() => Number(document.querySelector('#chart')!.getAttribute('data-points')) > 0, undefined, { timeout: 15_000 });
    const first = await points();
    await page.waitForFunction((n) => Number(document.querySelector('#chart')!.getAttribute('data-points')) >= n + 3, first, { timeout: 15_000 });
    expect(await points()).toBeGreaterThanOrEqual(first + 3);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 10_000 }).toMatch(/cap [\d.]+ kW \| site [\d.]+ kW .* PH\/s/);
    await expect.poll(() => page.locator('#miners tbody tr').count(), { timeout: 15_000 }).toBe(12);
    await expect.poll(() => page.locator('#gpu-hosts .card').count()).toBe(2);
    expect(await page.locator('#hosts .host').count()).toBe(3);
    // Sorting and filtering the miners table.
    expect(await page.locator('#heatmap .cell').count()).toBe(12);
    await page.locator('#heatmap .cell').first().click(); // a cell filters the table to its miner
    await expect.poll(() => page.locator('#miners tbody tr').count()).toBe(1);
    await page.locator('#miner-filter').fill('asic-2');
    await expect.poll(() => page.locator('#miners tbody tr').count()).toBe(6);
    await page.locator('#miner-filter').fill('');
    await expect.poll(() => page.locator('#priorities tbody tr').count()).toBeGreaterThan(0);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('posts a grid event from the page, lists it as active and shades it on the chart', async () => {
    const form = page.locator('#grid-form');
    // Bad input first: the API's problem+json names the field, and nothing is created.
    await form.locator('[name=capKw]').fill('-5');
    await form.locator('button[type=submit]').click();
    await expect.poll(() => form.locator('.error').textContent()).toMatch(/Invalid request \(400\): capKw/);
    expect((await api<unknown[]>(site, '/v1/grid/events')).body).toEqual([]);

    const capKw = Math.round(site.capKw * 0.7);
    await form.locator('[name=capKw]').fill(String(capKw));
    await form.locator('[name=startsInMin]').fill('0');
    await form.locator('[name=forMin]').fill('5');
    await form.locator('button[type=submit]').click();
    await expect.poll(() => form.locator('.error').textContent()).toBe('');
    const events = (await api<Array<{ capKw: number; program?: string }>>(site, '/v1/grid/events')).body;
    expect(events).toMatchObject([{ capKw, program: 'dashboard' }]);
    await expect.poll(() => page.locator('#events tbody tr.active').count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(async () => Number(await page.locator('#chart').getAttribute('data-shaded')), { timeout: 10_000 }).toBe(1);
    // The site steps down under it and the status line says so.
    await expect.poll(async () => Number(/cap ([\d.]+) kW/.exec((await page.locator('#status').textContent()) ?? '')?.[1]), { timeout: 15_000 }).toBeLessThanOrEqual(capKw);
  }, 60_000);

  it('shows the validation error of a bad priority and changes nothing', async () => {
    const before = (await api(site, '/v1/priorities')).body;
    const form = page.locator('#priorities-form');
    await form.locator('[name=minKw]').first().fill('-5');
    await form.locator('button[type=submit]').click();
    await expect.poll(() => form.locator('.error').textContent()).toMatch(/Invalid request \(400\): \[0\]\.minKw: Too small/);
    expect((await api(site, '/v1/priorities')).body).toEqual(before);
    await form.locator('[name=minKw]').first().fill('abc');
    await form.locator('button[type=submit]').click();
    await expect.poll(() => form.locator('.error').textContent()).toMatch(/minKw/);
    expect((await api(site, '/v1/priorities')).body).toEqual(before);

    // The contract form too: the API's error under the form, the contract unchanged.
    const contract = page.locator('#contract-form');
    await contract.locator('[name=capKw]').fill('-1');
    await contract.locator('button[type=submit]').click();
    await expect.poll(() => contract.locator('.error').textContent()).toMatch(/Invalid request \(400\): capKw/);
    expect((await api<{ contract: { capKw: number } }>(site, '/v1/site')).body.contract.capKw).toBe(site.capKw);
  }, 30_000);

  it('puts a miner in maintenance from the fleet table, and lists a submitted job with its wait', async () => {
    const row = page.locator('#miners tbody tr[data-id="m-0001"]');
    await row.getByRole('button', { name: 'maintenance', exact: true }).click();
    await expect.poll(async () => (await api<{ override: { maintenance?: boolean } | null }>(site, '/v1/devices/m-0001')).body.override?.maintenance, { timeout: 10_000 }).toBe(true);
    await expect.poll(() => row.getAttribute('class'), { timeout: 10_000 }).toBe('maintenance');
    // A profile the miner does not have: the API's error shows above the table.
    await row.locator('input').fill('9999MHz');
    await row.getByRole('button', { name: 'pin' }).click();
    await expect.poll(() => page.locator('#fleet-error').textContent()).toMatch(/^m-0001: .*\(4\d\d\)/);
    await row.getByRole('button', { name: 'end maintenance' }).click();
    await expect.poll(async () => (await api<{ override: { maintenance?: boolean } | null }>(site, '/v1/devices/m-0001')).body.override?.maintenance ?? false, { timeout: 10_000 }).toBe(false);

    const job = await api<{ id: string }>(site, '/v1/jobs', { method: 'POST', body: { gpus: 1, durationS: 120 } });
    expect(job.status).toBe(202);
    await expect.poll(() => page.locator(`#jobs tbody tr`).filter({ hasText: job.body.id }).count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => page.locator('#job-counts').textContent(), { timeout: 15_000 }).toMatch(/running 1/);
    await expect.poll(() => page.locator('#gpu-hosts .card.busy').count(), { timeout: 10_000 }).toBe(1);
    // The last hour's KPIs (GET /v1/kpis): the contract used, and the job's class counted.
    await expect.poll(() => page.locator('#kpi-summary').textContent(), { timeout: 15_000 }).toMatch(/contract used \d+\.\d+ %/);
    await expect.poll(() => page.locator('#kpi-waits tbody tr').filter({ hasText: 'standard' }).count(), { timeout: 15_000 }).toBe(1);
  }, 60_000);

  it('saves screenshots at desktop and phone widths', async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.evaluate(() => window.scrollTo(0, 0));
    const desktop = `${SCREENSHOTS}dashboard-desktop-1280.png`;
    await page.screenshot({ path: desktop, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    // The layout folds to one column: no section wider than the phone.
    await expect.poll(() => page.evaluate(() => Math.max(...Array.from(document.querySelectorAll('section'), (s) => s.getBoundingClientRect().right)))).toBeLessThanOrEqual(390);
    const phone = `${SCREENSHOTS}dashboard-phone-390.png`;
    await page.screenshot({ path: phone, fullPage: true });
    console.log(`dashboard screenshots: ${desktop} ${phone}`);
    expect(pageErrors).toEqual([]);
  }, 30_000);

  it('streams site samples over SSE to a token holder: the history, then one sample a second', async () => {
    const refused = await fetch(`${site.api}/v1/stream`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const ac = new AbortController();
    const res = await fetch(`${site.api}/v1/stream`, { headers: { authorization: `Bearer ${TENANT}` }, signal: ac.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events: Array<{ event: string; data: any }> = [];
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    const started = Date.now();
    while (events.filter((e) => e.event === 'sample').length < 3) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: (\S+)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    }
    const elapsed = Date.now() - started;
    ac.abort();
    expect(events[0]!.event).toBe('history');
    expect(events[0]!.data.length).toBeGreaterThan(5); // the site has run for a while: its samples so far
    const samples = events.filter((e) => e.event === 'sample').map((e) => e.data);
    expect(samples).toHaveLength(3);
    for (const x of samples) expect(x).toMatchObject({ contractCapW: site.capKw * 1000, siteW: expect.any(Number), hashrateThs: expect.any(Number) });
    expect(samples[2].at).toBeGreaterThan(samples[0].at);
    expect(elapsed).toBeLessThan(10_000); // one a second (wide margin for a loaded machine)
    // Beside the page's files, unknown paths are still the API's 404 problem+json.
    const missing = await fetch(`${site.api}/no-such-page`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const vendor = await fetch(`${site.api}/vendor/uplot/uPlot.iife.min.js`);
    expect(vendor.status).toBe(200);
    expect(vendor.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
  }, 30_000);

  it('refuses an unknown token and asks for one', async () => {
    const other = await browser.newPage();
    await other.goto(`${site.api}/#token=not-a-known-token`);
    await other.locator('#login').waitFor({ state: 'visible' });
    await expect.poll(() => other.locator('#login-error').textContent()).toMatch(/Unauthorized \(401\): Authorization: unknown token/);
    await other.close();
  }, 30_000);
});
