import { z } from '@hono/zod-openapi';
import { LIMITS, userStatusValues } from '@huddle/db';

/** A user as the API returns it (register, login, refresh, /users/me). */
export const userSchema = z
  .object({
    id: z.uuid(),
    username: z.string().openapi({ example: 'ada.l' }),
    email: z.string().openapi({ example: 'ada@example.com' }),
    fullName: z.string().nullable().openapi({ example: 'Ada Lovelace' }),
    status: z.enum(userStatusValues),
    createdAt: z.iso.datetime().openapi({ example: '2026-11-27T10:00:00.000Z' }),
  })
  .openapi('User');

/** GET /users/lookup: one username or email. */
export const userLookupQuery = z.object({
  login: z
    .string()
    .trim()
    .min(1)
    .max(LIMITS.emailMax)
    .openapi({ description: 'Username or email (any case)', example: 'ada.l' }),
});

/** What a look-up tells about another user: enough to invite and name them, never the email. */
export const userSummarySchema = z
  .object({
    id: z.uuid(),
    username: z.string().openapi({ example: 'ada.l' }),
    fullName: z.string().nullable().openapi({ example: 'Ada Lovelace' }),
  })
  .openapi('UserSummary');
