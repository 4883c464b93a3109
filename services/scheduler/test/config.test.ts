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
});
