import { Client } from 'pg';
import { hashPassword } from '../auth/passwords';
import { AGENCY_DEFAULT_CALENDAR } from '../workflow/calendar';
import { DEMO_AGENCIES, DEMO_CITIZENS, DEMO_PROCEDURES } from './demo-data';

/**
 * Keeps its own SQL on purpose, like a migration: it is data bootstrap that runs before Nest (and its
 * repositories) exist, on one pg client in one transaction under a table lock, against a schema it knows
 * at this version.
 *
 * Loads the demo data into an empty database (no agencies yet), in one
 * transaction. Returns false when the database already had data.
 */
export async function seedDemo(url: string, password: string): Promise<boolean> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('LOCK TABLE agencies IN EXCLUSIVE MODE');
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM agencies');
    if (rows[0].n > 0) {
      await client.query('ROLLBACK');
      return false;
    }
    const hash = await hashPassword(password);
    const agencyIds = new Map<string, string>();
    for (const a of DEMO_AGENCIES) {
      const r = await client.query<{ id: string }>(
        `INSERT INTO agencies (code, name, calendar) VALUES ($1, $2, $3) RETURNING id`,
        [a.code, a.name, { ...AGENCY_DEFAULT_CALENDAR, holidays: [] }],
      );
      agencyIds.set(a.code, r.rows[0].id);
      for (const role of ['clerk', 'supervisor'] as const) {
        await client.query(
          `INSERT INTO accounts (email, password_hash, full_name, role, agency_id, title) VALUES ($1, $2, $3, $4, $5, $6)`,
          [
            `${role}.${a.slug}@demo.local`,
            hash,
            `${role === 'clerk' ? 'Cán bộ' : 'Lãnh đạo'} ${a.name}`,
            role,
            r.rows[0].id,
            a.titles[role],
          ],
        );
      }
    }
    await client.query(
      `INSERT INTO accounts (email, password_hash, full_name, role) VALUES ('admin@demo.local', $1, 'Quản trị hệ thống', 'admin')`,
      [hash],
    );
    for (const c of DEMO_CITIZENS) {
      await client.query(
        `INSERT INTO accounts (email, phone, password_hash, full_name, id_number, role, locale) VALUES ($1, $2, $3, $4, $5, 'citizen', $6)`,
        [c.email, c.phone, hash, c.fullName, c.idNumber, c.locale],
      );
    }
    for (const p of DEMO_PROCEDURES) {
      const r = await client.query<{ id: string }>(
        `INSERT INTO procedures (code, name, agency_id, level) VALUES ($1, $2, $3, $4) RETURNING id`,
        [p.code, p.name, agencyIds.get(p.agencyCode), p.level],
      );
      const v = p.version;
      await client.query(
        `INSERT INTO procedure_versions (procedure_id, version, form_schema, required_documents, fees, fee_timing,
                                         processing_days, delivery_options, workflow, postal_fee_vnd, result_template, published_at)
         VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())`,
        [
          r.rows[0].id,
          v.formSchema,
          JSON.stringify(v.requiredDocuments),
          JSON.stringify(v.fees),
          v.feeTiming,
          v.processingDays,
          v.deliveryOptions,
          v.workflow,
          v.postalFee,
          v.resultTemplate,
        ],
      );
    }
    await client.query('COMMIT');
    return true;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    await client.end();
  }
}
