// The ops console's tests sign in against this: node-oidc-provider (OpenID Certified), run
// as it ships, with its development login pages (any login, any password). Only what a
// company's provider would be configured with is set here: one confidential client, the
// console's redirect URI, and a claim carrying each account's roles.
//
//   node provider.mjs CONFIG.json   (prints "listening <issuer>" once it serves)
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = config.accounts ?? {};
const roleClaim = config.role_claim ?? 'cancelflow_roles';

const provider = new Provider(config.issuer, {
  clients: [
    {
      client_id: config.client_id,
      client_secret: config.client_secret,
      redirect_uris: [config.redirect_uri],
      post_logout_redirect_uris: config.post_logout_redirect_uris ?? [],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  // Every client must use PKCE (S256), so a console that did not would fail here.
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'email', 'roles'],
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email'],
    roles: [roleClaim],
  },
  // The claims in the ID token itself, as company providers are commonly set up for roles.
  conformIdTokenClaims: false,
  cookies: { keys: [config.cookie_key ?? 'test-cookie-key-not-a-secret'] },
  ttl: { IdToken: config.id_token_ttl ?? 3600 },
  async findAccount(_ctx, id) {
    const account = accounts[id] ?? {};
    return {
      accountId: id,
      async claims() {
        const claims = { sub: id, name: account.name ?? id, email: account.email ?? `${id}@example.test` };
        if (account.roles !== undefined) claims[roleClaim] = account.roles;
        return claims;
      },
    };
  },
});
provider.proxy = false;
const url = new URL(config.issuer);
const server = provider.listen(Number(url.port), url.hostname, () => {
  console.log(`listening ${config.issuer}`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
