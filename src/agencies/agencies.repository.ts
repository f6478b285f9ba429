import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { selectRows } from '../database/query-result';
import type { WorkCalendar } from '../workflow/calendar';
import { Agency } from './agency.entity';

/** The only place that reads or writes `agencies`. */
@Injectable()
export class AgenciesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  list(): Promise<Agency[]> {
    return this.db.getRepository(Agency).find({ order: { code: 'ASC' } });
  }

  /** A new agency's id; undefined when the code is taken. */
  async insert(code: string, name: string, calendar: WorkCalendar): Promise<string | undefined> {
    const [row] = await selectRows<{ id: string }>(
      this.db,
      `INSERT INTO agencies (code, name, calendar) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING RETURNING id`,
      [code, name, calendar],
    );
    return row?.id;
  }

  findById(id: string): Promise<Agency> {
    return this.db.getRepository(Agency).findOneByOrFail({ id });
  }

  findByCode(code: string): Promise<Agency | null> {
    return this.db.getRepository(Agency).findOneBy({ code });
  }

  save(agency: Agency, m: EntityManager = this.db.manager): Promise<Agency> {
    return m.getRepository(Agency).save(agency);
  }

  async codeOf(id: string): Promise<string | undefined> {
    const [row] = await selectRows<{ code: string }>(this.db, `SELECT code FROM agencies WHERE id = $1`, [id]);
    return row?.code;
  }

  /** An agency's code and name by its id; undefined when there is none. */
  async codeAndNameOf(id: string): Promise<{ code: string; name: string } | undefined> {
    const [row] = await selectRows<{ code: string; name: string }>(
      this.db,
      `SELECT code, name FROM agencies WHERE id = $1`,
      [id],
    );
    return row;
  }

  async idOf(code: string): Promise<string | undefined> {
    const [row] = await selectRows<{ id: string }>(this.db, `SELECT id FROM agencies WHERE code = $1`, [code]);
    return row?.id;
  }

  /** Code and calendar of one agency (`id`) or of all (null). */
  calendars(id: string | null): Promise<{ id: string; code: string; calendar: WorkCalendar }[]> {
    return selectRows<{ id: string; code: string; calendar: WorkCalendar }>(
      this.db,
      `SELECT id, code, calendar FROM agencies WHERE $1::uuid IS NULL OR id = $1::uuid`,
      [id],
    );
  }
}
