// The session cookie cache's value, read as Better Auth's getCookieCache reads it: the cookie of
// exactly that name first; else only that name's chunks (`<name>.0`, `<name>.1`, ...) joined in
// index order. A chunk of another name (`__Secure-` or not) or a stray suffix is never mixed in.
export type Cookie = { name: string; value: string };

// `name` is Better Auth's own (`authCookies.sessionData.name`): `__Secure-` prefixed when its
// base URL is https. An empty value is a cookie being deleted (Set-Cookie with Max-Age=0): never part of the value.
export function readSessionData(cookies: Cookie[], name: string): string | undefined {
  const exact = cookies.find((cookie) => cookie.name === name && cookie.value);
  if (exact) return exact.value;
  const chunks = cookies.flatMap(({ name: chunkName, value }) => {
    const index = chunkName.startsWith(`${name}.`) ? chunkName.slice(name.length + 1) : "";
    return /^\d+$/.test(index) && value ? [{ index: Number(index), value }] : [];
  });
  if (chunks.length === 0) return undefined;
  return chunks
    .sort((a, b) => a.index - b.index)
    .map((chunk) => chunk.value)
    .join("");
}
