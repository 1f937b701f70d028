// Config section `pool`: options of the pool category. Owned by that category; wired into ConfigSchema in ../schema.ts.
import { z } from 'zod';

export const PoolSection = z.strictObject({}).prefault({}).describe('Options of the pool category');
