// A real OpenID provider for Latchkey's tests: oidc-provider (OpenID Certified) on
// loopback, with one confidential client (PKCE required) and a few accounts.
//
//   REDIRECT_URIS=http://127.0.0.1:3000/api/v1/auth/oidc/test/callback[,...] \
//   PORT=0 node provider.mjs
//
// It prints `listening <port>` once it accepts connections; its issuer is
// http://127.0.0.1:<port>. The sign-in page (/interaction/<uid>) asks for a username
// only (an account below); consent is given at once.
//
// For the tests of what a client must refuse, `POST /test/tamper` with a body `mode=...`
// makes the next ID tokens come back altered, signed by this provider's key unless said:
// `other-key` (signed by another key under the same key id), `wrong-aud`, `expired`,
// `wrong-nonce`; `none` (the default) stops it.
import { createServer } from 'node:http';
import * as jose from 'jose';
import Provider from 'oidc-provider';

const ACCOUNTS = {
  // Verified address, a plain username.
  alice: { email: 'alice@idp.test', email_verified: true, preferred_username: 'alice', name: 'Alice Liddell' },
  // An address the provider has not verified.
  bob: { email: 'bob@idp.test', email_verified: false, preferred_username: 'bob' },
  // Wants a username an account of Latchkey's tests already has (`carol`).
  carol: { email: 'carol@idp.test', email_verified: true, preferred_username: 'carol' },
  // Has the address of an account of Latchkey's tests (`dora@example.org`).
  dora: { email: 'dora@example.org', email_verified: true, preferred_username: 'dora' },
  // A username that breaks Latchkey's username rules.
  eve: { email: 'eve@idp.test', email_verified: true, preferred_username: 'Ève Örtlich!' },
};

const redirectUris = (process.env.REDIRECT_URIS || '').split(',').filter(Boolean);
if (redirectUris.length === 0) {
  console.error('REDIRECT_URIS is required');
  process.exit(2);
}

const signing = await jose.generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await jose.exportJWK(signing.privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
const impostor = await jose.generateKeyPair('RS256', { extractable: true });

let tamper = 'none';

const server = createServer();
await new Promise((resolve) => server.listen(Number(process.env.PORT || 0), '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID || 'latchkey',
    client_secret: process.env.CLIENT_SECRET || 'latchkey-test-secret',
    redirect_uris: redirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signingJwk] },
  cookies: { keys: ['latchkey-test-provider-cookie-key'] },
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['preferred_username', 'name'],
  },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const account = ACCOUNTS[sub];
    if (!account) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...account }) };
  },
});

// The sign-in page and consent: a form for the username; consent is given at once.
provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { prompt, params } = details;
  if (prompt.name === 'login' && ctx.method === 'POST' && match[2]) {
    const login = new URLSearchParams(await readBody(ctx.req)).get('login') || '';
    if (!ACCOUNTS[login]) {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = page(details.uid, 'No such account');
      return undefined;
    }
    return provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  }
  if (prompt.name === 'login') {
    ctx.type = 'html';
    ctx.body = page(details.uid, '');
    return undefined;
  }
  if (prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    const grantId = await grant.save();
    const consent = details.grantId ? {} : { grantId };
    return provider.interactionFinished(ctx.req, ctx.res, { consent }, { mergeWithLastSubmission: true });
  }
  return next();
});

// The test switch, and the token endpoint's ID token altered as it says.
provider.use(async (ctx, next) => {
  if (ctx.path === '/test/tamper' && ctx.method === 'POST') {
    tamper = new URLSearchParams(await readBody(ctx.req)).get('mode') || 'none';
    ctx.status = 204;
    return undefined;
  }
  await next();
  if (ctx.path !== '/token' || tamper === 'none' || !ctx.body || !ctx.body.id_token) return undefined;
  const claims = jose.decodeJwt(ctx.body.id_token);
  const now = Math.floor(Date.now() / 1000);
  let key = signing.privateKey;
  if (tamper === 'other-key') key = impostor.privateKey;
  if (tamper === 'wrong-aud') claims.aud = 'someone-else';
  if (tamper === 'expired') Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
  if (tamper === 'wrong-nonce') claims.nonce = 'not-the-nonce';
  ctx.body = {
    ...ctx.body,
    id_token: await new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'test-key' }).sign(key),
  };
  return undefined;
});

function page(uid, error) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test provider: sign in</title></head>
<body><h1>Test provider</h1>${error ? `<p role="alert">${error}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
<label>Username <input name="login" autofocus></label>
<button type="submit">Sign in</button></form></body></html>`;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

server.on('request', provider.callback());
console.log(`listening ${server.address().port}`);
