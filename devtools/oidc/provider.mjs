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

const page = (title, body) => `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${esc(title)}</title></head>
<body><h1>${esc(title)}</h1>
${body}
</body></html>`;

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
    devInteractions: { enabled: true },
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

const server = http.createServer(provider.callback());
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
