/** The styles of the pages issue 13 added (sign-up, reset, the account page, second factors), appended to latch.css. */
export const accountsCss = `
/* Accounts that look after themselves (issue 13): sign-up, reset and the account page. */
input[hidden] { display: none; }
.login-links { display: flex; justify-content: space-between; flex-wrap: wrap; gap: 0.5rem; margin-top: 1.25rem; font-size: 0.9375rem; }
.notice { padding: 0.75rem 1rem; margin-bottom: 1.25rem; border: 1px solid var(--border); border-left: 4px solid var(--success); border-radius: 6px; }
.account-section { padding-top: 1.25rem; margin-top: 1.25rem; border-top: 1px solid var(--border); }
h2 { margin: 0 0 0.75rem; font-size: 1.125rem; font-weight: 600; }
.account-list { list-style: none; margin: 0; padding: 0; }
.account-item { display: flex; align-items: center; justify-content: space-between; gap: 0.75rem; padding: 0.625rem 0; border-bottom: 1px solid var(--border); }
.account-item form { flex: none; }
.account-item .button { width: auto; min-height: 2.25rem; padding: 0.375rem 0.75rem; font-size: 0.875rem; }
.account-item-current strong { color: var(--primary); }
.notice-link { text-decoration: none; }

/* Second factors and passkeys. */
.divider { display: flex; align-items: center; gap: 0.75rem; margin: 1.5rem 0; color: var(--muted); font-size: 0.875rem; }
.divider::before, .divider::after { content: ""; flex: 1 1 0; border-top: 1px solid var(--border); }
form.upstream + [data-passkey-block] { margin-top: 1rem; }
.qr { display: block; margin: 0 auto 1rem; width: 12rem; height: 12rem; background: #fff; padding: 0.5rem; border-radius: 8px; }
.secret { display: block; text-align: center; margin-bottom: 1rem; word-break: break-all; }
.recovery-codes { display: grid; grid-template-columns: 1fr 1fr; gap: 0.5rem; padding: 0; list-style: none; margin: 0 0 1.5rem; }
.recovery-codes li { text-align: center; }
.factor-list { list-style: none; padding: 0; margin: 0 0 1rem; }
.factor-list li { padding: 0.75rem 0; border-bottom: 1px solid var(--border); }
.factor-list form { display: inline; }
.inline-form { display: flex; gap: 0.5rem; margin-top: 0.5rem; }
.inline-form .button { width: auto; }
section + section { margin-top: 2rem; }
h2 { font-size: 1.125rem; margin: 0 0 0.75rem; }
details { margin-top: 1.25rem; }
summary { cursor: pointer; color: var(--link); }
[hidden] { display: none !important; }
.success { color: var(--success); }
`;
