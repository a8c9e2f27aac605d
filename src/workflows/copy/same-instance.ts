/**
 * Whether a copy's source and target are one instance: copies would land beside their
 * sources (and an auto copy be mapped against itself), which is rarely meant.
 */
export function sameInstance(a: { apiUrl: string; dbUrl?: string }, b: { apiUrl: string; dbUrl?: string }): boolean {
  return key(a.apiUrl) === key(b.apiUrl) || (a.dbUrl !== undefined && b.dbUrl !== undefined && key(a.dbUrl) === key(b.dbUrl));
}

/** Scheme, host, port and path, without the user name or a trailing slash: `http://H:80/` and `http://h` are one. */
function key(url: string): string {
  if (!URL.canParse(url)) return url;
  const u = new URL(url);
  return `${u.protocol}//${u.host.toLowerCase()}${u.pathname.replace(/\/+$/, '')}`;
}
