import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { configProblems } from '../helpers/config-problems.js';

describe('tracing configuration', () => {
  it('is off by default', () => {
    expect(loadConfig({}).tracing).toBeNull();
  });

  it('is on with OTEL_EXPORTER_OTLP_ENDPOINT, posting to its /v1/traces, as service cradle', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({ endpoint: 'http://collector:4318/v1/traces', headers: {}, serviceName: 'cradle' });
  });

  it('takes OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, over the general endpoint, with the service name and headers', () => {
    const tracing = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp',
      OTEL_SERVICE_NAME: 'cradle-eu',
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20abc, x-tenant=ops',
    }).tracing;
    expect(tracing).toEqual({ endpoint: 'https://traces.example/otlp', headers: { authorization: 'Bearer abc', 'x-tenant': 'ops' }, serviceName: 'cradle-eu' });
  });

  it('is off with an endpoint when OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(loadConfig({ ...endpoint, OTEL_TRACES_EXPORTER: 'otlp' }).tracing).not.toBeNull();
    expect(loadConfig({ ...endpoint, OTEL_SDK_DISABLED: 'true' }).tracing).toBeNull();
    expect(loadConfig({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).tracing).toBeNull();
  });

  it('reports a bad endpoint, bad headers and an unsupported exporter together', () => {
    const problems = configProblems({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://user:secret@collector:4318/v1/traces',
      OTEL_EXPORTER_OTLP_HEADERS: 'no-equals-sign',
    });
    expect(problems.map((p) => p.slice(0, p.indexOf(':')))).toEqual(['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_HEADERS']);
    expect(configProblems({ OTEL_TRACES_EXPORTER: 'zipkin' })).toEqual(['OTEL_TRACES_EXPORTER: must be otlp or none']);
  });
});
