// An OpenID Connect provider on loopback for the single sign-on tests.
//
// It uses oidc-provider's own sign-in and consent pages (devInteractions): any
// login name with any password signs in as that name. What the provider says
// about each person (email, groups) is read from ACCOUNTS_FILE on every sign-in,
// so a test can change someone's groups between two sign-ins.
//
// Environment: PORT, ACCOUNTS_FILE, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI.
// Prints "listening on <issuer>" once it accepts connections.

import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

import Provider from "oidc-provider";

const { PORT, ACCOUNTS_FILE, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI } = process.env;
const issuer = `http://127.0.0.1:${PORT}`;

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: "jwk" }), kid: "test", use: "sig" };

function readAccounts() {
  return JSON.parse(readFileSync(ACCOUNTS_FILE, "utf8"));
}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: [REDIRECT_URI],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString("hex")] },
  scopes: ["openid", "email", "profile", "groups"],
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "preferred_username"],
    groups: ["groups"],
  },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const person = readAccounts()[id];
    if (!person) {
      return undefined;
    }
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          preferred_username: id,
          name: person.name ?? id,
          email: person.email,
          email_verified: true,
          groups: person.groups ?? [],
        };
      },
    };
  },
});

provider.listen(Number(PORT), "127.0.0.1", () => {
  console.log(`listening on ${issuer}`);
});
