import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorReply } from '@redis/client';
import { bearerChecker } from './auth.ts';
import { readBody } from './body.ts';
import { commandFromPath, parseJsonBody, toCommand, toCommandBatch } from './command.ts';
import type { Command } from './command.ts';
import { encodeReply } from './encode.ts';
import { RedisUnavailableError } from './executor.ts';
import type { Outcome, RedisExecutor } from './executor.ts';
import { HttpError, sendJson } from './http-error.ts';
import { refusalReason } from './policy.ts';
import { ScriptTranslator, type TranslatedCommand } from './script-flags.ts';

/** Options for {@link createRequestHandler}. */
export interface HandlerOptions {
  executor: RedisExecutor;
  /** Expected in `Authorization: Bearer <token>`. */
  token: string;
  /** Larger request bodies get 413. */
  maxBodyBytes: number;
  log: (line: string) => void;
}

const BATCH_ROUTES = new Set(['/pipeline', '/multi-exec']);

/**
 * The gateway's HTTP handler, speaking the Upstash Redis REST protocol:
 * `POST /` with one command, `POST /pipeline` and `POST /multi-exec` with an array of
 * commands, the path form (`GET /get/key`, `POST /set/key` with the value as body),
 * and `GET /health` without authentication.
 */
export function createRequestHandler(options: HandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const isAuthorized = bearerChecker(options.token);
  const scripts = new ScriptTranslator();

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Split by hand: WHATWG URL parsing would resolve `..` segments and read `//x` as a host.
    const target = req.url ?? '/';
    const queryAt = target.indexOf('?');
    const pathname = queryAt === -1 ? target : target.slice(0, queryAt);
    const search = queryAt === -1 ? '' : target.slice(queryAt);
    if (pathname === '/health') return health(req, res, options.executor);
    if (!isAuthorized(req.headers.authorization)) {
      throw new HttpError(401, 'Unauthorized: missing or invalid bearer token', { 'www-authenticate': 'Bearer' });
    }
    const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';

    if (pathname === '/' || BATCH_ROUTES.has(pathname)) {
      requireMethod(req, ['POST']);
      const body = parseJsonBody(await readBody(req, options.maxBodyBytes));
      if (pathname === '/') return runOne(res, toCommand(body), base64);
      const commands = toCommandBatch(body);
      for (const [i, command] of commands.entries()) assertAllowed(command, `command ${i + 1}: `);
      const translated = commands.map((command) => scripts.translate(command));
      const forRedis = translated.map((t) => t.command);
      const outcomes =
        pathname === '/pipeline'
          ? await options.executor.pipeline(forRedis)
          : await options.executor.transaction(forRedis);
      return sendJson(res, 200, outcomes.map((outcome, i) => toJson(mapOutcome(outcome, translated[i]), base64)));
    }

    requireMethod(req, ['GET', 'POST']);
    if (search !== '') throw new HttpError(400, 'ERR query parameters are not supported; put every argument in the path');
    const body = req.method === 'POST' ? await readBody(req, options.maxBodyBytes) : undefined;
    return runOne(res, commandFromPath(pathname, body), base64);
  };

  const runOne = async (res: ServerResponse, command: Command, base64: boolean): Promise<void> => {
    assertAllowed(command);
    const translated = scripts.translate(command);
    const reply = await options.executor.run(translated.command);
    sendJson(res, 200, { result: encodeReply(translated.mapReply ? translated.mapReply(reply) : reply, base64) });
  };

  return (req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError) {
        // A body left unread (401, 405, 413) would otherwise be drained to reuse the connection.
        const headers = req.complete ? error.headers : { ...error.headers, connection: 'close' };
        sendJson(res, error.status, { error: error.message }, headers);
      } else if (error instanceof ErrorReply) {
        sendJson(res, 400, { error: error.message });
      } else if (error instanceof RedisUnavailableError) {
        sendJson(res, 503, { error: error.message });
      } else {
        options.log(`internal error on ${req.method} ${req.url}: ${(error as Error)?.stack ?? String(error)}`);
        sendJson(res, 500, { error: 'ERR internal gateway error' });
      }
    });
  };
}

async function health(req: IncomingMessage, res: ServerResponse, executor: RedisExecutor): Promise<void> {
  requireMethod(req, ['GET', 'HEAD']);
  if (await executor.ping()) sendJson(res, 200, { status: 'ok' });
  else sendJson(res, 503, { status: 'unavailable', error: 'Redis did not answer PING' });
}

function requireMethod(req: IncomingMessage, allowed: string[]): void {
  if (!allowed.includes(req.method ?? '')) {
    throw new HttpError(405, `Method ${req.method} not allowed here, use ${allowed.join(' or ')}`, {
      allow: allowed.join(', '),
    });
  }
}

function assertAllowed(command: Command, where = ''): void {
  const reason = refusalReason(command);
  if (reason !== undefined) throw new HttpError(400, `${where}${reason}`);
}

function mapOutcome(outcome: Outcome, translated: TranslatedCommand | undefined): Outcome {
  return 'reply' in outcome && translated?.mapReply ? { reply: translated.mapReply(outcome.reply) } : outcome;
}

function toJson(outcome: Outcome, base64: boolean): { result: unknown } | { error: string } {
  return 'error' in outcome ? { error: outcome.error } : { result: encodeReply(outcome.reply, base64) };
}
