import { createRoute, z } from '@hono/zod-openapi';
import { LIMITS } from '@huddle/db';
import { codePointLength, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, text } from '@huddle/protocol';
import { emptyResponse, errorResponses, jsonContent, jsonResponse } from '../../lib/openapi.ts';
import { requireAuth } from '../../middleware/auth.ts';
import { LOGIN_LIMITS, REGISTER_LIMITS } from '../../services/auth.ts';
import { userSchema } from '../users/users.schemas.ts';

// A short deny-list of the passwords tried first by every guesser; length is the main rule.
const COMMON_PASSWORDS = [
  'password', 'password1', 'password123', 'passw0rd', '12345678', '123456789', '1234567890',
  'qwertyuiop', 'qwerty123', '11111111', '00000000', 'iloveyou', 'abc12345', 'abcd1234',
  'letmein1', 'welcome1', 'sunshine', 'football', 'baseball', 'princess', 'admin123', 'huddle123',
];
const commonPasswords = new Set(COMMON_PASSWORDS);
/** One character repeated (counted in code points, as the document's pattern reads it). */
const ONE_REPEATED_CHARACTER = /^([\s\S])\1*$/u;

/** `[aA]` for each letter: the deny-list matched in any case, as a JSON Schema pattern. */
const anyCase = (word: string): string =>
  [...word].map((ch) => (ch.toLowerCase() === ch.toUpperCase() ? ch : `[${ch.toLowerCase()}${ch.toUpperCase()}]`)).join('');

const password = text({ min: PASSWORD_MIN_LENGTH, max: PASSWORD_MAX_LENGTH });

export const registerBody = z
  .object({
    username: z
      .string()
      .min(LIMITS.usernameMin)
      .max(LIMITS.usernameMax)
      .regex(/^[a-zA-Z0-9_.-]+$/, 'Use only letters, digits, "_", "." and "-".')
      .openapi({ example: 'ada.l' }),
    email: z.email().max(LIMITS.emailMax).openapi({ example: 'ada@example.com' }),
    password: password.openapi({
      description:
        `${PASSWORD_MIN_LENGTH}–${PASSWORD_MAX_LENGTH} characters, not one character repeated, not one of the ` +
        'most common passwords (any case), and not the username or the email (any case).',
      example: 'correct horse battery staple',
      not: {
        anyOf: [
          { pattern: ONE_REPEATED_CHARACTER.source },
          { pattern: `^(?:${COMMON_PASSWORDS.map(anyCase).join('|')})$` },
        ],
      },
    }),
    fullName: text({ min: 1, max: LIMITS.fullNameMax, trim: true }).nullish().openapi({ example: 'Ada Lovelace' }),
  })
  // Runs only when every field has the right type; skips passwords already failing on length.
  .superRefine((body, ctx) => {
    const length = codePointLength(body.password);
    if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) return;
    const lower = body.password.toLowerCase();
    const weak =
      commonPasswords.has(lower) ||
      ONE_REPEATED_CHARACTER.test(body.password) ||
      lower === body.username.toLowerCase() ||
      lower === body.email.toLowerCase();
    if (weak) ctx.addIssue({ code: 'custom', path: ['password'], message: 'This password is too easy to guess.' });
  })
  .openapi('RegisterRequest');

export const loginBody = z
  .object({
    login: text({ min: 1, max: LIMITS.emailMax, trim: true }).openapi({ description: 'Username or email (any case)', example: 'ada.l' }),
    password: text({ min: 1, max: PASSWORD_MAX_LENGTH }),
  })
  .openapi('LoginRequest');

export const refreshBody = z
  .object({ refreshToken: text({ min: 1, max: 1024 }) })
  .openapi('RefreshRequest');

const tokenPair = z
  .object({
    accessToken: z.string().openapi({ description: 'JWT for `Authorization: Bearer`' }),
    refreshToken: z.string().openapi({ description: 'Opaque; single use — every refresh returns a new one' }),
    expiresIn: z.number().int().openapi({ description: 'Seconds the access token remains valid', example: 900 }),
    user: userSchema,
  })
  .openapi('TokenPair');

export const registerRoute = createRoute({
  method: 'post',
  path: '/register',
  tags: ['auth'],
  summary: 'Create an account',
  description:
    'Usernames and emails are unique in any case (409 `username_taken` / `email_taken`). ' +
    `Rate limit: ${REGISTER_LIMITS.perIp.limit} registrations per ${REGISTER_LIMITS.perIp.windowSeconds} s per IP (429).`,
  request: { body: { ...jsonContent(registerBody, 'New account'), required: true } },
  responses: {
    201: jsonResponse(userSchema, 'Created'),
    ...errorResponses(400, 409, 413, 415, 429, 503),
  },
});

export const loginRoute = createRoute({
  method: 'post',
  path: '/login',
  tags: ['auth'],
  summary: 'Sign in with username or email and password',
  description:
    'Unknown account, wrong password and disabled account all give 401 `invalid_credentials`. ' +
    `Rate limits: ${LOGIN_LIMITS.perIp.limit} attempts per ${LOGIN_LIMITS.perIp.windowSeconds} s per IP; ` +
    `${LOGIN_LIMITS.perAccount.limit} attempts per ${LOGIN_LIMITS.perAccount.windowSeconds} s per login, cleared by a successful login (429).`,
  request: { body: { ...jsonContent(loginBody, 'Credentials'), required: true } },
  responses: {
    200: jsonResponse(tokenPair, 'Signed in'),
    ...errorResponses(400, 401, 413, 415, 429, 503),
  },
});

export const refreshRoute = createRoute({
  method: 'post',
  path: '/refresh',
  tags: ['auth'],
  summary: 'Exchange a refresh token for a new pair (the old refresh token stops working)',
  description:
    'The token just rotated away, presented again within REFRESH_REUSE_GRACE_SECONDS (10 s by default), gets the same ' +
    'new pair (two tabs refreshing at once). Any other already-used refresh token revokes the whole session, its join ' +
    'tokens and signaling sockets included (401 `refresh_token_reused`).',
  request: { body: { ...jsonContent(refreshBody, 'The current refresh token'), required: true } },
  responses: {
    200: jsonResponse(tokenPair, 'New pair'),
    ...errorResponses(400, 401, 413, 415, 503),
  },
});

export const logoutRoute = createRoute({
  method: 'post',
  path: '/logout',
  tags: ['auth'],
  summary: 'End this session (its access and refresh tokens stop working at once)',
  security: [{ bearer: [] }],
  middleware: [requireAuth] as const,
  responses: {
    204: emptyResponse('Signed out'),
    ...errorResponses(401, 413, 415, 503),
  },
});
