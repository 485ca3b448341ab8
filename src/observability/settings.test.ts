/** The observability settings: a wrong value fails at start naming its variable (config/load.ts). */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/load.js';
import { queryKind, queryTable } from '../storage/probe.js';
import { createMetrics } from './metrics.js';

describe('observability settings', () => {
  it('LATCH_METRICS_ADDRESS takes host:port (IPv6 in brackets) or off, 127.0.0.1:9464 by default', () => {
    expect(loadConfig({}).metricsAddress).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(loadConfig({ LATCH_METRICS_ADDRESS: 'off' }).metricsAddress).toBe('off');
    expect(loadConfig({ LATCH_METRICS_ADDRESS: '0.0.0.0:9100' }).metricsAddress).toEqual({ host: '0.0.0.0', port: 9100 });
    expect(loadConfig({ LATCH_METRICS_ADDRESS: '[::1]:9464' }).metricsAddress).toEqual({ host: '::1', port: 9464 });
    expect(loadConfig({ LATCH_METRICS_ADDRESS: 'metrics.internal:9464' }).metricsAddress).toEqual({ host: 'metrics.internal', port: 9464 });
  });

  it.each(['9464', '127.0.0.1', '127.0.0.1:99999', 'http://127.0.0.1:9464', '[nonsense]:9464', 'on'])('refuses LATCH_METRICS_ADDRESS=%s, naming it', (bad) => {
    expect(() => loadConfig({ LATCH_METRICS_ADDRESS: bad })).toThrow(ConfigError);
    expect(() => loadConfig({ LATCH_METRICS_ADDRESS: bad })).toThrow(/LATCH_METRICS_ADDRESS \(config key "metricsAddress"\): .* is not host:port/);
  });

  it('LATCH_ACCESS_LOG is true or false; LATCH_SHUTDOWN_DELAY may be 0, LATCH_SHUTDOWN_TIMEOUT may not', () => {
    expect(loadConfig({}).accessLog).toBe(true);
    expect(loadConfig({ LATCH_ACCESS_LOG: 'false' }).accessLog).toBe(false);
    expect(() => loadConfig({ LATCH_ACCESS_LOG: 'sometimes' })).toThrow(/LATCH_ACCESS_LOG \(config key "accessLog"\): must be true or false/);
    expect(loadConfig({}).shutdownDelay).toBe(5);
    expect(loadConfig({ LATCH_SHUTDOWN_DELAY: '0' }).shutdownDelay).toBe(0);
    expect(() => loadConfig({ LATCH_SHUTDOWN_DELAY: '-1' })).toThrow(/LATCH_SHUTDOWN_DELAY/);
    expect(loadConfig({}).shutdownTimeout).toBe(10);
    expect(() => loadConfig({ LATCH_SHUTDOWN_TIMEOUT: '0' })).toThrow(/LATCH_SHUTDOWN_TIMEOUT/);
    expect(() => loadConfig({ LATCH_SHUTDOWN_TIMEOUT: 'soon' })).toThrow(/LATCH_SHUTDOWN_TIMEOUT/);
  });
});

describe('store statement labels', () => {
  it('the kind comes from the first keyword, the table from the first from/into/update', () => {
    expect([queryKind('select "a" from "tokens" where x = ?'), queryTable('select "a" from "tokens" where x = ?')]).toEqual(['select', 'tokens']);
    expect([queryKind('insert into "events" ("id") values ($1)'), queryTable('insert into "events" ("id") values ($1)')]).toEqual(['insert', 'events']);
    expect([queryKind('update "grants" set x = 1'), queryTable('update "grants" set x = 1')]).toEqual(['update', 'grants']);
    expect([queryKind('delete from "codes" where 1'), queryTable('delete from "codes" where 1')]).toEqual(['delete', 'codes']);
    expect(queryKind('begin immediate')).toBe('transaction');
    expect(queryKind('with x as (select 1) select * from x')).toBe('other');
  });
});

describe('metrics', () => {
  it('each server has its own registry: counts never cross, and unknown error codes share one label', async () => {
    const a = await createMetrics();
    const b = await createMetrics();
    a.tokenFailed('invalid_grant');
    a.tokenFailed('Not A Code; with spaces');
    expect(await a.text()).toContain('latch_token_failures_total{error="invalid_grant"} 1');
    expect(await a.text()).toContain('latch_token_failures_total{error="other"} 1');
    expect(await b.text()).not.toContain('latch_token_failures_total{');
    expect(await b.text()).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });
});
