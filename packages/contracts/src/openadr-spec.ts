import { fileURLToPath } from 'node:url';

/** The vendored OpenADR 3.1.0 OpenAPI definition (spec/openadr3/NOTICE.md): the VEN validates every VTN object with it. */
export const OPENADR3_SPEC_PATH = fileURLToPath(new URL('../spec/openadr3/openadr3-3.1.0.yaml', import.meta.url));
