import { createTestApp, TestApp } from '../support/app';
import { DEMO, idem, newCitizen, staff, uploadDocument } from '../support/factories';
import { WebRouter } from '../../src/web/web.router';

const api = '/api/v1';
jest.setTimeout(120_000);

/** A page session of `email` signed in through /login, and a CSRF token of that session for its forms. */
async function pageSession(base: string, email: string, password: string) {
  const jar = new Map<string, string>();
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [name, value] = pair.split('=');
      if (value) jar.set(name, value);
      else jar.delete(name);
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const token = async (path: string) => {
    const res = await fetch(`${base}${path}`, { headers: { cookie: cookie() }, redirect: 'manual' });
    keep(res);
    return /name="_csrf" value="([^"]+)"/.exec(await res.text())?.[1];
  };
  const before = await token('/login');
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: before!, email, password }),
    redirect: 'manual',
  });
  keep(res);
  expect(res.status).toBe(303);
  expect(jar.has('portal_session')).toBe(true);
  return { cookie, csrf: (await token('/account'))! };
}

/**
 * Every console URL (every page route under /staff and /admin, read from the router, so a page added later is
 * walked too, and the job board under /admin/queues) refuses a citizen's session with the not-found page, for GET
 * and for a POST carrying the session's own valid CSRF token; nothing about the agency's dossier changes.
 */
describe('the staff console and administration refuse citizens', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers every /staff and /admin route with the not-found page for a citizen', async () => {
    const citizen = await newCitizen(t);
    const clerk = await staff(t, 'clerk', 'quan1');
    const d = await t.http
      .post(`${api}/applications`)
      .set(citizen.auth)
      .send({
        procedureCode: DEMO.householdBusiness,
        formData: {
          businessName: 'Quán cơm Hai Lúa',
          ownerName: 'Lê Văn Hai',
          address: '1 Nguyễn Huệ, Bến Nghé',
          businessLine: 'Ăn uống',
          capitalVnd: 20000000,
        },
      })
      .expect(201);
    const id = d.body.id as string;
    const doc = await uploadDocument(t, citizen, id, 'id_card').expect(201);
    await uploadDocument(t, citizen, id, 'premises_proof').expect(201);
    await t.http.post(`${api}/applications/${id}/submit`).set(citizen.auth).set(idem()).expect(200);
    await t.http.post(`${api}/applications/${id}/actions/receive`).set(clerk.auth).send({}).expect(200);
    const before = (await t.http.get(`${api}/applications/${id}`).set(clerk.auth).expect(200)).body;

    // The owner of the dossier, signed in on the pages: the console is not theirs either.
    const session = await pageSession(t.url, citizen.email, 'Citizen-pass-1');
    const params: Record<string, string> = {
      id,
      docId: doc.body.id as string,
      code: DEMO.householdBusiness,
      version: '1',
      action: 'request_supplement',
      attemptId: '00000000-0000-4000-8000-000000000000',
    };
    const routes = t.app
      .get(WebRouter)
      .routes.filter((r) => /^\/(staff|admin)(\/|$|\.)/.test(r.url))
      .map((r) => ({ method: r.method, path: r.url.replace(/:(\w+)/g, (_, name: string) => params[name] ?? name) }));
    expect(routes.length).toBeGreaterThanOrEqual(20);
    routes.push({ method: 'GET', path: '/admin/queues' }, { method: 'GET', path: '/admin/queues/api/queues' });

    const answers: string[] = [];
    for (const r of routes) {
      const res = await fetch(`${t.url}${r.path}`, {
        method: r.method,
        headers: {
          cookie: session.cookie(),
          ...(r.method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        body:
          r.method === 'POST'
            ? new URLSearchParams({ _csrf: session.csrf, comment: 'x', clerkId: clerk.id ?? '', version: '1' })
            : undefined,
        redirect: 'manual',
      });
      const html = await res.text();
      answers.push(
        `${r.method} ${r.path} ${res.status}${res.status === 404 && html.includes('<html') ? '' : ' (not the page)'}`,
      );
    }
    expect(answers).toEqual(routes.map((r) => `${r.method} ${r.path} 404`));

    // Nothing about the dossier changed.
    const after = (await t.http.get(`${api}/applications/${id}`).set(clerk.auth).expect(200)).body;
    expect({ state: after.state, version: after.version, assigneeId: after.assigneeId }).toEqual({
      state: before.state,
      version: before.version,
      assigneeId: before.assigneeId,
    });
  });
});
