import { DataSource } from 'typeorm';
import { createSuiteDatabase, dropDatabase } from '../../test/support/db';
import { dataSourceOptions } from '../database/data-source';
import { AccountsRepository } from './accounts.repository';

describe('AccountsRepository (Postgres)', () => {
  let db: { name: string; url: string };
  let ds: DataSource;
  let accounts: AccountsRepository;

  beforeAll(async () => {
    db = await createSuiteDatabase();
    ds = await new DataSource(dataSourceOptions(db.url)).initialize();
    accounts = new AccountsRepository(ds);
  });
  afterAll(async () => {
    await ds?.destroy();
    await dropDatabase(db.name);
  });

  const citizen = async (email: string) => {
    const created = await accounts.insertCitizen({
      email,
      phone: null,
      passwordHash: 'x',
      fullName: 'Nguyễn Văn Thử',
      idNumber: '079090123456',
      locale: 'vi',
    });
    return created!.id;
  };

  it('revoking sessions bumps token_version: a token of the old version is refused, refresh tokens and resets are spent', async () => {
    const id = await citizen('revoke@example.vn');
    const version = await ds.transaction((m) => accounts.markSignedIn(m, id));
    expect(version).toBe(0);
    await ds.transaction((m) =>
      accounts.insertRefreshToken(m, {
        accountId: id,
        familyId: id,
        tokenHash: 'h-revoke',
        ttlSeconds: 600,
        version: 0,
      }),
    );
    await ds.transaction((m) => accounts.insertReset(m, id, id, 30));
    expect(await accounts.sessionAccount(id, 0)).toMatchObject({ role: 'citizen' });

    expect(await ds.transaction((m) => accounts.revokeSessions(m, id))).toBe(1);
    expect(await accounts.sessionAccount(id, 0)).toBeUndefined();
    expect(await accounts.sessionAccount(id, 1)).toMatchObject({ role: 'citizen' });
    const token = await ds.transaction((m) => accounts.refreshTokenForUpdate(m, 'h-revoke'));
    expect(token?.revoked_at).toBeInstanceOf(Date);
    expect(token?.issued_version).toBe(0);
    expect(token?.token_version).toBe(1);
  });

  it('a disabled account has no session, cannot sign in, and a second disable changes nothing', async () => {
    const id = await citizen('disabled@example.vn');
    const [admin] = await accounts.listStaff();
    const first = await ds.transaction((m) => accounts.disable(m, id, admin.id));
    expect(first?.disabledAt).toBeInstanceOf(Date);
    const again = await ds.transaction((m) => accounts.disable(m, id, admin.id));
    expect(again?.disabledAt).toEqual(first?.disabledAt);
    expect(await accounts.sessionAccount(id, 0)).toBeUndefined();
    expect(await ds.transaction((m) => accounts.markSignedIn(m, id))).toBeUndefined();
    expect(await ds.transaction((m) => accounts.setPasswordHashIfActive(m, id, 'y'))).toBe(false);
    expect((await accounts.enable(id))?.disabledAt).toBeNull();
    expect(await accounts.sessionAccount(id, 0)).toMatchObject({ role: 'citizen' });
  });

  it('a taken email answers undefined, not an error', async () => {
    await citizen('taken@example.vn');
    expect(
      await accounts.insertCitizen({
        email: 'taken@example.vn',
        phone: null,
        passwordHash: 'x',
        fullName: 'Trùng',
        idNumber: '079090123456',
        locale: 'vi',
      }),
    ).toBeUndefined();
  });
});
