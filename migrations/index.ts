import { InitialSchema1763870000000 } from './1763870000000-initial-schema';

/** Every migration, in order. Listed explicitly so builds and tests load the same set. */
export const migrations = [InitialSchema1763870000000];
