// Development-only OpenID Connect provider (oidc-provider 9.x).
//
// NOT FOR PRODUCTION: any password is accepted, keys and sessions live in
// memory and are lost on restart.
//
// Configuration (environment variables, all optional):
//   OIDC_PORT           port to listen on (default 8001)
//   OIDC_HOST           interface to bind (default 127.0.0.1)
//   OIDC_ISSUER         issuer URL (default http://127.0.0.1:<OIDC_PORT>)
//   OIDC_CLIENTS        JSON array of clients:
//                       [{"client_id", "client_secret", "redirect_uris": [...],
//                         "post_logout_redirect_uris": [...]}]
//   OIDC_ACCOUNTS_FILE  JSON file with a list of accounts
//                       [{"login", "sub", "email", "name"}]
//                       (default: accounts.json beside this file)
//
// Start: node provider.mjs   (after `npm ci` in this folder)

import { randomBytes, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import Provider from 'oidc-provider';

const here = path.dirname(fileURLToPath(import.meta.url));

function fail(message) {
  console.error(`oidc-provider: ${message}`);
  process.exit(1);
}

// ---------------------------------------------------------------- settings

const port = Number.parseInt(process.env.OIDC_PORT || '8001', 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  fail(`invalid OIDC_PORT ${JSON.stringify(process.env.OIDC_PORT)}`);
}
const host = process.env.OIDC_HOST || '127.0.0.1';
const issuer = process.env.OIDC_ISSUER || `http://127.0.0.1:${port}`;
const accountsFile = process.env.OIDC_ACCOUNTS_FILE || path.join(here, 'accounts.json');

const DEFAULT_CLIENTS = [
  {
    client_id: 'selfservice-demo',
    client_secret: 'selfservice-demo-secret',
    redirect_uris: ['http://127.0.0.1:8000/auth/callback'],
    post_logout_redirect_uris: ['http://127.0.0.1:8000/'],
  },
];

function loadClients() {
  let raw = DEFAULT_CLIENTS;
  if (process.env.OIDC_CLIENTS) {
    try {
      raw = JSON.parse(process.env.OIDC_CLIENTS);
    } catch (err) {
      fail(`OIDC_CLIENTS is not valid JSON: ${err.message}`);
    }
  }
  if (!Array.isArray(raw) || raw.length === 0) {
    fail('OIDC_CLIENTS must be a non-empty JSON array');
  }
  return raw.map((c, i) => {
    if (!c || typeof c.client_id !== 'string' || typeof c.client_secret !== 'string'
        || !Array.isArray(c.redirect_uris) || c.redirect_uris.length === 0) {
      fail(`OIDC_CLIENTS[${i}] needs client_id, client_secret and redirect_uris`);
    }
    return {
      client_id: c.client_id,
      client_secret: c.client_secret,
      redirect_uris: c.redirect_uris,
      post_logout_redirect_uris: c.post_logout_redirect_uris || [],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      // client_secret_basic and client_secret_post are interchangeable in
      // oidc-provider: a client registered with either may use both.
      token_endpoint_auth_method: c.token_endpoint_auth_method || 'client_secret_basic',
      require_auth_time: true,
    };
  });
}

function loadAccounts() {
  let list;
  try {
    list = JSON.parse(readFileSync(accountsFile, 'utf8'));
  } catch (err) {
    fail(`cannot read accounts file ${accountsFile}: ${err.message}`);
  }
  if (!Array.isArray(list)) fail(`accounts file ${accountsFile} must hold a JSON array`);
  const byKey = new Map();
  for (const a of list) {
    if (!a || typeof a.login !== 'string' || typeof a.sub !== 'string') {
      fail(`accounts file ${accountsFile}: every account needs login and sub`);
    }
    const account = {
      sub: a.sub,
      email: a.email || a.login,
      name: a.name || a.login,
    };
    byKey.set(a.login.toLowerCase(), account);
    byKey.set(a.sub.toLowerCase(), account);
  }
  return byKey;
}

const clients = loadClients();
const accounts = loadAccounts();
/** the accounts file's logins, for the sign-in page (not the throw-away ones added later) */
const KNOWN_LOGINS = [...new Set([...accounts.values()].map((a) => a.email))];

const EMAIL_RE = /^[^@\s]+@[^@\s]+$/;

// Accounts are keyed by their sub, which oidc-provider uses as accountId and
// always puts in the tokens as "sub". The devInteractions login form's
// "login" value is mapped to that sub (see the interactionResult wrapper
// below): it is resolved case-insensitively by login or by sub, and an unknown
// e-mail address is accepted as a throw-away user with
// sub "acct-<local part lowercased>" (remembered until restart).
function resolveAccount(id) {
  const typed = String(id).trim();
  const key = typed.toLowerCase();
  const known = accounts.get(key);
  if (known) return known;
  if (EMAIL_RE.test(key)) {
    const local = typed.split('@')[0];
    const account = { sub: `acct-${local.toLowerCase()}`, email: key, name: local };
    if (!accounts.has(account.sub)) accounts.set(account.sub, account);
    accounts.set(key, accounts.get(account.sub));
    return accounts.get(account.sub);
  }
  return undefined;
}

async function findAccount(ctx, id) {
  const account = resolveAccount(id);
  if (!account) return undefined;
  return {
    accountId: account.sub,
    async claims() {
      return {
        sub: account.sub,
        email: account.email,
        email_verified: true,
        name: account.name,
      };
    },
  };
}

// No consent screen: every client here is first-party. Reuse the session's
// grant (or create one) and make sure it covers what is being requested.
async function loadExistingGrant(ctx) {
  const { oidc } = ctx;
  const accountId = oidc.account.accountId;
  const clientId = oidc.client.clientId;
  const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(clientId);

  let grant;
  if (grantId) grant = await oidc.provider.Grant.find(grantId);
  if (!grant || grant.accountId !== accountId || grant.clientId !== clientId) {
    grant = new oidc.provider.Grant({ accountId, clientId });
  }
  const scopes = [...oidc.requestParamOIDCScopes];
  if (scopes.length) grant.addOIDCScope(scopes.join(' '));
  const claims = [...oidc.requestParamClaims];
  if (claims.length) grant.addOIDCClaims(claims);
  await grant.save();
  return grant;
}

// ------------------------------------------------------------ simple pages

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
}[c]));

// One look for every page of the provider: readable (WCAG AA contrast, light and dark),
// in the visitor's language (lang), usable on a phone, with controls 40 px tall.
const STYLE = `
  :root { color-scheme: light dark; --text: light-dark(#1f2328, #e6edf3);
    --muted: light-dark(#59636e, #9198a1); --surface: light-dark(#ffffff, #161b22);
    --bg: light-dark(#f6f8fa, #0d1117); --line: light-dark(#818b98, #7d8590);
    --accent: light-dark(#0969da, #4493f8); --on-accent: light-dark(#ffffff, #0d1117); }
  * { box-sizing: border-box; }
  body { margin: 0; padding: 1.5rem 1rem; background: var(--bg); color: var(--text);
    font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  main { max-width: 24rem; margin: 0 auto; padding: 1.5rem; background: var(--surface);
    border: 1px solid var(--line); border-radius: 8px; }
  h1 { margin: 0 0 .5rem; font-size: 1.5rem; }
  .note { color: var(--muted); font-size: .9rem; margin: 0 0 1rem; overflow-wrap: anywhere; }
  label { display: block; font-weight: 600; margin: .75rem 0 .25rem; }
  input { width: 100%; min-height: 2.5rem; padding: .4rem .6rem; font: inherit; color: var(--text);
    background: var(--surface); border: 1px solid var(--line); border-radius: 6px; }
  button { width: 100%; min-height: 2.5rem; margin-top: 1.25rem; font: inherit; font-weight: 600;
    color: var(--on-accent); background: var(--accent); border: 1px solid var(--accent);
    border-radius: 6px; cursor: pointer; }
  a { color: var(--accent); display: inline-block; padding: .3rem 0; }
  :focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
`;

const page = (title, body) => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · development identity provider</title>
<style>${STYLE}</style></head>
<body><main><h1>${esc(title)}</h1>
${body}
</main></body></html>`;

async function logoutSource(ctx, form) {
  // `form` is <form id="op.logoutForm" method="post" action=".../session/end/confirm">
  // with a hidden xsrf input; confirm by posting logout=yes.
  const single = form.replace(
    '</form>',
    '<input type="hidden" name="logout" value="yes"/>'
      + '<button type="submit">Yes, sign me out</button></form>',
  );
  ctx.type = 'html';
  ctx.body = page('Sign out', `<p>Do you want to sign out from ${esc(ctx.host)}?</p>\n${single}`);
}

async function postLogoutSuccessSource(ctx) {
  ctx.type = 'html';
  ctx.body = page('Signed out', '<p>You have been signed out.</p>');
}

async function renderError(ctx, out) {
  ctx.type = 'html';
  ctx.body = page('Error', Object.entries(out)
    .map(([k, v]) => `<p><strong>${esc(k)}</strong>: <span id="${esc(k)}">${esc(v)}</span></p>`)
    .join('\n'));
}

// The sign-in page (the provider's "login" prompt), in place of oidc-provider's
// devInteractions page: the same form fields (login, password), a page that passes axe-core.
function signInPage(uid, hint) {
  const action = `/interaction/${encodeURIComponent(uid)}`;
  return page('Sign in', `<p class="note">Development identity provider: any password works.
Known logins: ${KNOWN_LOGINS.map(esc).join(', ')}.</p>
<form method="post" action="${action}" autocomplete="off">
<input type="hidden" name="prompt" value="login">
<label for="login">E-mail address</label>
<input id="login" name="login" type="text" required autocapitalize="off" spellcheck="false"${
  hint ? ` value="${esc(hint)}"` : ' autofocus'}>
<label for="password">Password</label>
<input id="password" name="password" type="password" required${hint ? ' autofocus' : ''}>
<button type="submit">Sign in</button>
</form>
<p><a href="${action}/abort">Cancel</a></p>`);
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      raw += chunk;
      if (raw.length > 65536) reject(new Error('form too large'));
    });
    req.on('end', () => resolve(new URLSearchParams(raw)));
    req.on('error', reject);
  });
}

function send(res, status, html) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(html);
}

// GET /interaction/:uid, POST /interaction/:uid, GET /interaction/:uid/abort
async function interaction(provider, req, res, uid, abort) {
  try {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    if (abort) {
      await provider.interactionFinished(req, res, {
        error: 'access_denied', error_description: 'End-User aborted interaction',
      }, { mergeWithLastSubmission: false });
    } else if (details.prompt.name === 'consent') {
      // first-party clients only: the grant covers what is asked (as loadExistingGrant does)
      const { prompt: { details: missing }, params, session } = details;
      const grant = details.grantId ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } },
        { mergeWithLastSubmission: true });
    } else if (req.method === 'POST') {
      const form = await readForm(req);
      await provider.interactionFinished(req, res, {
        login: { accountId: form.get('login') || '' },
      }, { mergeWithLastSubmission: false });
    } else {
      send(res, 200, signInPage(uid, details.params.login_hint));
    }
  } catch (err) {
    send(res, 400, page('Sign-in problem', `<p>${esc(err.message)}. Go back to the console and
sign in again.</p>`));
  }
}

// ----------------------------------------------------------------- provider

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: `dev-${randomBytes(4).toString('hex')}` };

const configuration = {
  clients,
  findAccount,
  loadExistingGrant,
  jwks: { keys: [signingKey] },
  cookies: {
    // sessions are in memory, so per-process keys lose nothing
    keys: [randomBytes(32).toString('base64url')],
  },
  responseTypes: ['code'],
  // 9.x only implements S256 (plain was removed); require PKCE for everyone.
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile'],
  claims: {
    acr: null,
    auth_time: null,
    iss: null,
    sid: null,
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  // put scope-granted claims (email, name) into the ID token as well
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
  },
  renderError,
  ttl: {
    AccessToken: 600,
    AuthorizationCode: 60,
    IdToken: 600,
    Interaction: 600,
    Grant: 3600,
    Session: 3600,
  },
};

const provider = new Provider(issuer, configuration);

// devInteractions finishes the login with { login: { accountId: <typed login> } }.
// Turn the typed login into the account's sub before it is stored, so that the
// session, grants and tokens all use the sub; an unknown login ends the
// request with access_denied (sent back to the client's redirect_uri).
const interactionResult = provider.interactionResult.bind(provider);
provider.interactionResult = async (req, res, result, options) => {
  if (result?.login && typeof result.login.accountId === 'string') {
    const account = resolveAccount(result.login.accountId);
    result = account
      ? { ...result, login: { ...result.login, accountId: account.sub } }
      : { error: 'access_denied', error_description: 'unknown account' };
  }
  return interactionResult(req, res, result, options);
};

// plain http on loopback, no reverse proxy: cookies are only marked Secure
// when the request itself came over https, so http works as is.
provider.proxy = false;

const callback = provider.callback();
const INTERACTION = /^\/interaction\/([^/?]+)(\/abort)?(?:\?.*)?$/;
const server = http.createServer((req, res) => {
  const found = INTERACTION.exec(req.url);
  const allowed = found && (found[2] ? req.method === 'GET' : ['GET', 'POST'].includes(req.method));
  if (!allowed) return callback(req, res);
  return interaction(provider, req, res, decodeURIComponent(found[1]), Boolean(found[2]));
});
server.on('error', (err) => fail(`cannot listen on ${host}:${port}: ${err.message}`));
server.listen(port, host, () => {
  console.log(`oidc-provider listening on ${issuer}`);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
