// Removes credentials from URLs and free text before anything is printed, logged or written.

/** `postgres://user:secret@host/db` -> `postgres://user:***@host/db`; unparsable input is masked wholesale after the scheme. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) {
      if (/pass|secret|token|key/i.test(key)) u.searchParams.set(key, '***');
    }
    return u.toString();
  } catch {
    // Not a URL we can parse: keep only the scheme so nothing secret leaks.
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0];
    return scheme ? `${scheme}***` : '***';
  }
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"]+/gi;
const PASSWORD_KV = /(password\s*[=:]\s*)('[^']*'|"[^"]*"|[^\s)\]},;]+)/gi;

/** Redacts every URL and `password=...` inside a message (driver errors sometimes echo connection strings). */
export function redactText(text: string): string {
  return text.replace(URL_IN_TEXT, (u) => redactUrl(u)).replace(PASSWORD_KV, '$1***');
}
