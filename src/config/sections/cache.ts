// Config section `cache`: options of the cache category. Owned by that category; wired into ConfigSchema in ../schema.ts.
import { z } from 'zod';

export const CacheSection = z.strictObject({}).prefault({}).describe('Options of the cache category');
