import { eq, sql } from 'drizzle-orm';
import { CONSTRAINTS, isPgError, PG_ERROR, users, type Database, type User, type UserStatus } from '@huddle/db';
import { ApiError, conflict } from '../lib/api-error.ts';

/** A user as the API shows it (never the password hash). */
export interface PublicUser {
  id: string;
  username: string;
  email: string;
  fullName: string | null;
  status: UserStatus;
  /** ISO 8601. */
  createdAt: string;
}

/** The API view of a user row. */
export const toPublicUser = (user: User): PublicUser => ({
  id: user.id,
  username: user.username,
  email: user.email,
  fullName: user.fullName,
  status: user.status,
  createdAt: user.createdAt.toISOString(),
});

/**
 * Inserts a user. Username and email are unique case-insensitively (unique indexes on
 * lower()); a clash is a 409 naming the field: `username_taken` or `email_taken`.
 */
export async function insertUser(
  db: Database,
  input: { username: string; email: string; passwordHash: string; fullName: string | null },
): Promise<User> {
  try {
    const [row] = await db.insert(users).values(input).returning();
    if (!row) throw new Error('insert into users returned no row');
    return row;
  } catch (error) {
    if (isPgError(error, PG_ERROR.uniqueViolation, CONSTRAINTS.usersUsernameUnique)) {
      throw conflict('username_taken', 'That username is already taken.', { field: 'username' });
    }
    if (isPgError(error, PG_ERROR.uniqueViolation, CONSTRAINTS.usersEmailUnique)) {
      throw conflict('email_taken', 'An account with that email already exists.', { field: 'email' });
    }
    throw error;
  }
}

/**
 * The user whose username or email equals `login`, ignoring case. Usernames cannot
 * contain `@`, so the login picks the column, and the lower() unique index serves it.
 */
export async function findUserByLogin(db: Database, login: string): Promise<User | undefined> {
  const column = login.includes('@') ? users.email : users.username;
  const [row] = await db.select().from(users).where(sql`lower(${column}) = lower(${login})`).limit(1);
  return row;
}

/** The user with this id, or undefined. */
export async function findUserById(db: Database, userId: string): Promise<User | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, userId)).limit(1);
  return row;
}

/** Replaces a user's password hash (used to upgrade hashes made with older parameters). */
export async function updatePasswordHash(db: Database, userId: string, passwordHash: string): Promise<void> {
  await db.update(users).set({ passwordHash }).where(eq(users.id, userId));
}

/** The signed-in user's profile; 401 when the account no longer exists or is disabled. */
export async function getActiveUser(db: Database, userId: string): Promise<PublicUser> {
  const user = await findUserById(db, userId);
  if (user?.status !== 'active') {
    throw new ApiError(401, 'unauthorized', 'The account no longer exists or is disabled.', {
      headers: { 'WWW-Authenticate': 'Bearer' },
    });
  }
  return toPublicUser(user);
}
