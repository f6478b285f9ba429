import { Registry } from 'prom-client';
import { HttpMetrics } from './http-metrics';

describe('HttpMetrics (requests and latency, rendered by prom-client)', () => {
  it('counts per (method, route, status) and fills cumulative buckets, an upper bound included', async () => {
    const registry = new Registry();
    const http = new HttpMetrics();
    http.register(registry);
    http.record('GET', '/api/v1/applications/:id', 200, 0.005); // on the bound: le="0.005"
    http.record('GET', '/api/v1/applications/:id', 200, 0.0051);
    http.record('GET', '/api/v1/applications/:id', 200, 12); // beyond the last bound: +Inf only
    http.record('GET', '/api/v1/applications/:id', 404, 0.2);
    http.record('POST', '/api/v1/applications/:id', 200, 0.001);
    const text = await registry.metrics();
    const line = (s: string) => text.split('\n').find((l) => l.startsWith(s + ' '));
    const get = 'method="GET",route="/api/v1/applications/:id",status_code="200"';
    expect(line(`portal_http_requests_total{${get}}`)).toBe(`portal_http_requests_total{${get}} 3`);
    expect(line(`portal_http_request_duration_seconds_bucket{${get},le="0.005"}`)).toMatch(/ 1$/);
    expect(line(`portal_http_request_duration_seconds_bucket{${get},le="0.01"}`)).toMatch(/ 2$/);
    expect(line(`portal_http_request_duration_seconds_bucket{${get},le="10"}`)).toMatch(/ 2$/);
    expect(line(`portal_http_request_duration_seconds_bucket{${get},le="+Inf"}`)).toMatch(/ 3$/);
    expect(line(`portal_http_request_duration_seconds_count{${get}}`)).toMatch(/ 3$/);
    expect(Number(line(`portal_http_request_duration_seconds_sum{${get}}`)!.split(' ')[1])).toBeCloseTo(12.0101, 6);
    expect(text).toContain(
      'portal_http_requests_total{method="GET",route="/api/v1/applications/:id",status_code="404"} 1',
    );
    expect(text).toContain(
      'portal_http_requests_total{method="POST",route="/api/v1/applications/:id",status_code="200"} 1',
    );
    expect(text).toContain('# TYPE portal_http_request_duration_seconds histogram');
    expect(text).toContain('# TYPE portal_http_requests_total counter');
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('status_code');
  });
});
