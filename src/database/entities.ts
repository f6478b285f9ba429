import { Agency } from '../agencies/agency.entity';
import { Account } from '../auth/account.entity';
import { Procedure, ProcedureVersion } from '../procedures/procedure.entity';

/** Entities mapped with TypeORM; hot paths (dossier actions, the queue) use SQL directly. */
export const ENTITIES = [Agency, Account, Procedure, ProcedureVersion];
