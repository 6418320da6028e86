// Better Auth as a Next.js app configures it: email and password, and the jwt plugin whose
// key set todo-core reads. One instance per variant, each on its own in-memory database.
import { betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { toNodeHandler } from "better-auth/node";
import { jwt } from "better-auth/plugins";

/** Seconds a signing key lives in the rotating variant before Better Auth mints the next. */
export const ROTATION_SECONDS = 3;

/** The jwt plugin's `jwks` option of each variant. */
export const VARIANTS = {
  // The plugin's default key pair: Ed25519.
  EdDSA: {},
  ES256: { keyPairConfig: { alg: "ES256" } },
  RS256: { keyPairConfig: { alg: "RS256", modulusLength: 2048 } },
  // The default key pair, rotated: a key expires ROTATION_SECONDS after it was made and the
  // next token is signed with a new one; the old key stays in the JWKS for the grace period.
  "EdDSA-rotating": { rotationInterval: ROTATION_SECONDS, gracePeriod: 3600 },
};

/** A fresh Better Auth for `variant`, served at `${baseURL}/api/auth`. */
export function createAuth({ baseURL, variant }) {
  const jwks = VARIANTS[variant];
  if (jwks === undefined) {
    throw new Error(`unknown variant ${variant}; known: ${Object.keys(VARIANTS).join(", ")}`);
  }
  const db = { user: [], session: [], account: [], verification: [], jwks: [] };
  const auth = betterAuth({
    baseURL,
    secret: "e2e-harness-better-auth-secret-0123456789abcdef",
    database: memoryAdapter(db),
    emailAndPassword: { enabled: true },
    // Issuer and audience stay at their defaults: the baseURL, which the service is told.
    plugins: [jwt({ jwks })],
    telemetry: { enabled: false },
    logger: { level: "error" },
  });
  return { auth, handler: toNodeHandler(auth), db };
}
