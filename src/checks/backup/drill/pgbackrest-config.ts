// The pgBackRest configuration file the drill hands to pgbackrest: checked to be one (kind, size, INI shape) before pgbackrest reads it, because pgbackrest echoes lines of a file it cannot parse; and a scrubber that keeps its values out of any message.
import { access, constants } from 'node:fs/promises';
import { InputError, checkInput, readRegular } from './input-file.js';

/** A pgBackRest config is a few KiB; anything near this is not one. */
export const MAX_CONFIG_BYTES = 1 << 20;

/** pgBackRest's own defaults when --config is not given (the second is the pre-2.0 location it still reads). */
const DEFAULT_CONFIGS = ['/etc/pgbackrest/pgbackrest.conf', '/etc/pgbackrest.conf'];

export interface ConfigEntry {
  section: string;
  key: string;
  value: string;
}

/**
 * Parses the INI shape pgBackRest reads: `[section]`, `key=value`, `#` comments, blank lines. Throws naming the line
 * number and what is wrong, never the line itself (the file may be a secret one given by mistake).
 */
export function parsePgBackRestIni(text: string, where: string): ConfigEntry[] {
  if (text.includes('\0')) throw new InputError(`${where} is not a pgBackRest configuration file: it holds binary data`);
  const out: ConfigEntry[] = [];
  let section: string | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) { section = sec[1]!.trim(); continue; }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new InputError(`${where} is not a pgBackRest configuration file: line ${i + 1} is neither a [section], a # comment nor a key=value setting`);
    if (section === undefined) throw new InputError(`${where} is not a pgBackRest configuration file: line ${i + 1} is a setting before any [section]`);
    out.push({ section, key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() });
  }
  return out;
}

export interface CheckedConfig {
  /** The file pgbackrest reads (given, or its default when one exists). */
  file: string | undefined;
  entries: ConfigEntry[];
  /** Replaces every value of the file in a message by the name of its key. */
  scrub(text: string): string;
}

/** Values too short to be secrets, and absolute paths of path options (needed to name files), stay readable. */
function scrubbable(e: ConfigEntry): boolean {
  if (e.value.length < 4) return false;
  return !(e.key.endsWith('-path') && e.value.startsWith('/'));
}

export function scrubberOf(entries: ConfigEntry[]): (text: string) => string {
  const pairs = entries.filter(scrubbable).map((e) => [e.value, `<${e.key} of the pgBackRest config>`] as const)
    // Longest first, so a value that contains another is replaced whole.
    .sort((a, b) => b[0].length - a[0].length);
  return (text) => pairs.reduce((t, [value, name]) => t.split(value).join(name), text);
}

const exists = (p: string) => access(p, constants.F_OK).then(() => true, (err: Error) => { void err; return false; });

/** Checks the config file pgbackrest will read: the one given in backup.pgbackrest.config, else its default when present. */
export async function checkPgBackRestConfig(given: string | undefined): Promise<CheckedConfig> {
  let file = given;
  if (file === undefined) {
    for (const d of DEFAULT_CONFIGS) if (await exists(d)) { file = d; break; }
  }
  if (file === undefined) return { file, entries: [], scrub: (t) => t };
  const field = given !== undefined ? 'backup.pgbackrest.config' : 'the pgBackRest configuration';
  await checkInput(file, { field, kinds: ['file'], maxBytes: MAX_CONFIG_BYTES });
  const text = (await readRegular(file, field, MAX_CONFIG_BYTES)).toString('utf8');
  const entries = parsePgBackRestIni(text, `${field} ${file}`);
  return { file, entries, scrub: scrubberOf(entries) };
}
