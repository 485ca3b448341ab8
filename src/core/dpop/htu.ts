/**
 * RFC 9449 §4.3 check 9: "the htu claim matches the HTTP URI value for the HTTP request in which the JWT was
 * received, ignoring any query and fragment parts", compared after RFC 3986 §6.2.2 / §6.2.3 normalisation.
 * WHATWG URL parsing gives exactly that: scheme and host lower-cased, the default port dropped, dot segments and
 * percent-encoding case normalised. undefined when the value is not an absolute http(s) URL.
 */
export function normalizeHtu(value: string): string | undefined {
  if (!URL.canParse(value)) return undefined;
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  url.search = '';
  url.hash = '';
  url.username = '';
  url.password = '';
  return url.href;
}
