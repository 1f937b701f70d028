// Colour only for terminals, and never when NO_COLOR is set or --no-color was given; the screen size a summary must fit.
export function useColor(stream: NodeJS.WritableStream, flag: boolean | undefined): boolean {
  if (flag === false || process.env.NO_COLOR) return false;
  return Boolean((stream as NodeJS.WriteStream).isTTY);
}

/** A positive whole number from the environment (COLUMNS, LINES), else undefined. */
function envSize(value: string | undefined): number | undefined {
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * The screen the end-of-run summary must fit: a terminal's own size; else COLUMNS and LINES as the shell exports them
 * (a pipe, `| tee`, CI logs); else 80×24, the size every terminal starts at.
 */
export function screenSize(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): { columns: number; rows: number } {
  const tty = stream as NodeJS.WriteStream;
  const columns = (tty.isTTY ? tty.columns : undefined) || envSize(env.COLUMNS) || 80;
  const rows = (tty.isTTY ? tty.rows : undefined) || envSize(env.LINES) || 24;
  return { columns, rows };
}
