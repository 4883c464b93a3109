import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { InputError, loadConfig, parseConfigFile } from '../src/config.js';

const example = readFileSync(new URL('../../../infra/scheduler.config.example.json', import.meta.url), 'utf8');
const env = { WATTBROKER_API_TOKENS: `ops:operator:${'a'.repeat(64)}`, WATTBROKER_OPENADR_CLIENT_SECRET: 's3cret-from-env' };

describe('scheduler config file', () => {
  it('reads the example, with the VEN settings under openadr and the secret from the environment', () => {
    const c = loadConfig({}, env, parseConfigFile(example, 'scheduler.json'));
    expect(c).toMatchObject({
      capKw: 5000, marginKw: 100, port: 8080, hashpricePerThDay: 0.05,
      openadrVtn: 'https://vtn.example.net/openadr3/3.1.0', openadrClientId: 'site-7-ven', openadrClientSecret: 's3cret-from-env',
      openadrProgram: 'ERS-10', openadrPollS: 10, openadrSilentS: 240, openadrFailsafeKw: 3000, openadrSimpleShed: '0.25,0.5,1',
    });
  });

  it('lets flags win over the environment, and the environment over the file', () => {
    const file = parseConfigFile(example, 'scheduler.json');
    expect(loadConfig({ 'cap-kw': '4000' }, { ...env, WATTBROKER_CAP_KW: '4500' }, file).capKw).toBe(4000);
    expect(loadConfig({}, { ...env, WATTBROKER_CAP_KW: '4500', WATTBROKER_OPENADR_PROGRAM: 'A,B' }, file)).toMatchObject({ capKw: 4500, openadrProgram: 'A,B' });
  });

  it('keeps the GPU draw credit off unless asked for, and refuses an unknown mode naming the field', () => {
    const file = parseConfigFile(example, 'scheduler.json');
    expect(loadConfig({}, env, file)).toMatchObject({ gpuDraw: 'off', gpuDrawStartsInMargin: false });
    expect(loadConfig({ 'gpu-draw': 'mean', 'gpu-draw-starts-in-margin': 'true' }, env, file)).toMatchObject({ gpuDraw: 'mean', gpuDrawStartsInMargin: true });
    expect(loadConfig({}, env, parseConfigFile(JSON.stringify({ ...JSON.parse(example), gpuDraw: 'peak', gpuDrawStartsInMargin: false }), 'f.json'))).toMatchObject({ gpuDraw: 'peak', gpuDrawStartsInMargin: false });
    expect(() => loadConfig({ 'gpu-draw': 'median' }, env, file)).toThrow(/gpuDraw/);
    expect(() => parseConfigFile(JSON.stringify({ gpuDrawStartsInMargin: 'yes' }), 'f.json')).toThrow(/^f\.json: gpuDrawStartsInMargin: /);
  });

  it('follows budgets with the planner\'s answer unless fewest moves is asked for, and refuses an unknown mode naming the field', () => {
    const file = parseConfigFile(example, 'scheduler.json');
    expect(loadConfig({}, env, file).minerMoves).toBe('optimal');
    expect(loadConfig({ 'miner-moves': 'fewest' }, env, file).minerMoves).toBe('fewest');
    expect(loadConfig({}, { ...env, WATTBROKER_MINER_MOVES: 'fewest' }, file).minerMoves).toBe('fewest');
    expect(loadConfig({}, env, parseConfigFile(JSON.stringify({ ...JSON.parse(example), minerMoves: 'fewest' }), 'f.json')).minerMoves).toBe('fewest');
    expect(() => loadConfig({ 'miner-moves': 'least' }, env, file)).toThrow(/minerMoves/);
    expect(() => parseConfigFile(JSON.stringify({ minerMoves: 3 }), 'f.json')).toThrow(/^f\.json: minerMoves: /);
  });

  it('names the file and the field on bad input', () => {
    const bad = (o: unknown) => () => parseConfigFile(JSON.stringify(o), 'site.json');
    expect(bad({ capKw: -1 })).toThrow(/^site\.json: capKw: /);
    expect(bad({ capKw: 1, openadr: { vtnUrl: 'not a url', clientId: 'x', programs: ['p'] } })).toThrow(/^site\.json: openadr\.vtnUrl: /);
    expect(bad({ openadr: { vtnUrl: 'https://v.example', clientId: 'x', programs: [] } })).toThrow(/openadr\.programs: /);
    expect(bad({ openadr: { vtnUrl: 'https://v.example', clientId: 'x', programs: ['p'], simpleShed: [0.5, 2, 1] } })).toThrow(/openadr\.simpleShed\[1\]: /);
    expect(bad({ capkw: 5 })).toThrow(/capkw/);
    expect(() => parseConfigFile('{"capKw": 5,', 'site.json')).toThrow(InputError);
    expect(() => parseConfigFile('{"capKw": 5,', 'site.json')).toThrow(/^site\.json: \(file\): not JSON/);
    // A VTN without its secret anywhere is refused when the settings are put together.
    const noSecret = parseConfigFile(example, 'scheduler.json');
    expect(() => loadConfig({}, { WATTBROKER_API_TOKENS: `ops:operator:${'a'.repeat(64)}` }, noSecret)).toThrow(/openadrVtn: an OpenADR VTN needs a client id, a client secret and a program/);
  });

  it('takes token entries from the environment, a tokens file or the config file, never a flag; the VTN over https unless allowed', () => {
    const file = parseConfigFile(example, 'scheduler.json');
    const secret = { WATTBROKER_OPENADR_CLIENT_SECRET: 's' };
    expect(loadConfig({}, { ...env }, file)).toMatchObject({ apiTokens: env.WATTBROKER_API_TOKENS });
    expect(loadConfig({}, secret, file)).toMatchObject({ apiTokensFile: '/etc/wattbroker/api-tokens' });
    expect(loadConfig({}, { ...secret, WATTBROKER_API_TOKENS_FILE: '/run/t' }, file).apiTokensFile).toBe('/run/t');
    const inFile = parseConfigFile(JSON.stringify({ redisUrl: 'redis://127.0.0.1:1', capKw: 10, apiTokens: [{ name: 'ops', role: 'operator', sha256: 'b'.repeat(64) }] }), 'site.json');
    expect(loadConfig({}, {}, inFile).apiTokens).toBe(`ops:operator:${'b'.repeat(64)}`);
    expect(() => parseConfigFile(JSON.stringify({ apiTokens: [{ name: 'ops', role: 'root', sha256: 'x' }] }), 'site.json')).toThrow(/apiTokens\[0\]\.role/);
    expect(() => loadConfig({ redis: 'redis://127.0.0.1:1', 'cap-kw': '10' }, {})).toThrow(/apiTokens: set WATTBROKER_API_TOKENS/);
    expect(() => loadConfig({ redis: 'redis://127.0.0.1:1', tokens: `ops:operator:${'a'.repeat(64)}`, 'cap-kw': '10' }, {})).toThrow(/apiTokens: set/);
    const http = parseConfigFile(JSON.stringify({ redisUrl: 'redis://127.0.0.1:1', capKw: 10, openadr: { vtnUrl: 'http://127.0.0.1:1/oadr', clientId: 'x', programs: ['p'] } }), 'site.json');
    expect(() => loadConfig({}, { ...env, ...secret }, http)).toThrow(/openadrVtn: must be https:\/\//);
    expect(loadConfig({}, { ...env, ...secret, WATTBROKER_OPENADR_ALLOW_HTTP: '1' }, http).openadrAllowHttp).toBe(true);
  });
  it('takes the URL a standby names the leader by, and refuses one that is not http(s), naming the field', () => {
    const base = { redis: 'redis://127.0.0.1:1', 'cap-kw': '10' };
    expect(loadConfig({ ...base, 'advertise-url': 'https://scheduler-1.site.lan:8080' }, { ...env }).advertiseUrl).toBe('https://scheduler-1.site.lan:8080');
    expect(() => loadConfig({ ...base, 'advertise-url': 'ftp://x' }, { ...env })).toThrow(/advertiseUrl/);
  });
});
