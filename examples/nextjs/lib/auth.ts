// Better Auth for the reference client: email + password, the jwt() plugin (its JWKS at
// /api/auth/jwks is what the API verifies plugin tokens with), the cookie cache that the
// "cookie" token mode forwards, and an in-memory store: this app is a test of the API, not a product.
import "server-only";
import { betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { nextCookies } from "better-auth/next-js";
import { jwt } from "better-auth/plugins";

type CookieCacheStrategy = "compact" | "jwt" | "jwe";

const strategy = (process.env.COOKIE_CACHE_STRATEGY ?? "compact") as CookieCacheStrategy;

// One store per server process, even if Next.js loads this module in more than one bundle
// (the route handler and the server actions must see the same users and the same JWKS key).
const store = globalThis as { betterAuthMemory?: Record<string, unknown[]> };
store.betterAuthMemory ??= { user: [], session: [], account: [], verification: [], jwks: [] };

export const auth = betterAuth({
  // The exact origin the browser uses (http://127.0.0.1:3000 is not http://localhost:3000): Better
  // Auth checks request origins against it, and the API checks the token's issuer against it.
  // The secret comes from BETTER_AUTH_SECRET, or BETTER_AUTH_SECRETS ("2:new,1:old") when rotating.
  baseURL: process.env.BETTER_AUTH_URL,
  database: memoryAdapter(store.betterAuthMemory),
  emailAndPassword: { enabled: true, autoSignIn: true },
  session: { cookieCache: { enabled: true, maxAge: 5 * 60, strategy } },
  telemetry: { enabled: false },
  plugins: [jwt(), nextCookies()], // nextCookies last: it writes Set-Cookie from server actions
});
