import { createTestApp, TestApp } from '../support/app';

describe('pages (HTTP)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('serves the home page in Vietnamese with a CSP', async () => {
    const res = await t.http.get('/?q=dang+ky+ho+kinh+doanh').expect(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.text).toContain('<html lang="vi"');
    expect(res.text).toContain('Đăng ký thành lập hộ kinh doanh');
  });

  it('answers an unknown page with the HTML not-found page and the API with problem+json', async () => {
    const page = await t.http.get('/nope').expect(404);
    expect(page.headers['content-type']).toContain('text/html');
    const api = await t.http.get('/api/v1/nope').expect(404);
    expect(api.headers['content-type']).toContain('application/problem+json');
    await t.http.get('/api/v1/procedures/2.000720').expect(200);
    await t.http.get('/procedures/2.000720').expect(200);
    await t.http.get('/procedures/nope').expect(404);
  });

  it('refuses a POST without a CSRF token', async () => {
    const res = await t.http.post('/login').type('form').send({ email: 'a@b.c', password: 'x' }).expect(403);
    expect(res.headers['content-type']).toContain('text/html');
  });

  it('serves the stylesheet with a long cache', async () => {
    const home = await t.http.get('/').expect(200);
    const css = /href="(\/assets\/portal\.[0-9a-f]+\.css)"/.exec(home.text)![1];
    const res = await t.http.get(css).set('accept-encoding', 'br').expect(200);
    expect(res.headers['cache-control']).toContain('immutable');
  });
});
