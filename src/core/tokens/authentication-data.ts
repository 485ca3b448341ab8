/** What a token of a person keeps of their authentication: when, which session, how (introspection states it). */
export function authenticationData(authTime: number, sid: string | null, amr: readonly string[]): Record<string, unknown> {
  return { auth_time: authTime, sid, amr: [...amr] };
}

/** The amr a token's data kept, if it kept one (tokens from before kept none). */
export function amrOf(data: Record<string, unknown>): string[] | undefined {
  const { amr } = data;
  return Array.isArray(amr) && amr.every((m) => typeof m === 'string') ? amr : undefined;
}
