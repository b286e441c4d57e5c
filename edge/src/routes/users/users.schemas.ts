import { z } from '@hono/zod-openapi';
import { userStatusValues } from '@huddle/db';

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
