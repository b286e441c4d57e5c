/** Stable codes for why a task attempt failed (logged, counted and kept in dead letters). */
export type TaskFailureCode =
  | 'invalid_task'
  | 'unknown_type'
  | 'invalid_input'
  | 'timeout'
  | 'provider_error'
  | 'provider_rejected'
  | 'provider_not_configured'
  | 'invalid_result'
  | 'store_failed'
  | 'processor_error';

/**
 * Thrown by a processor when a task can never succeed (bad input, a provider's 4xx):
 * the pool dead-letters it at once instead of retrying (as BullMQ's UnrecoverableError).
 */
export class UnrecoverableError extends Error {
  readonly code: TaskFailureCode;
  constructor(code: TaskFailureCode, message: string) {
    super(message);
    this.name = 'UnrecoverableError';
    this.code = code;
  }
}

/** A failure worth retrying (provider 429/5xx, network trouble), with a stable code. */
export class RetryableError extends Error {
  readonly code: TaskFailureCode;
  constructor(code: TaskFailureCode, message: string) {
    super(message);
    this.name = 'RetryableError';
    this.code = code;
  }
}

/** The code and message of any thrown value; unknown errors count as retryable processor errors. */
export function describeFailure(error: unknown): { code: TaskFailureCode; message: string; unrecoverable: boolean } {
  if (error instanceof UnrecoverableError) return { code: error.code, message: error.message, unrecoverable: true };
  if (error instanceof RetryableError) return { code: error.code, message: error.message, unrecoverable: false };
  if (error instanceof Error && error.name === 'AbortError') {
    return { code: 'timeout', message: 'the task timed out', unrecoverable: false };
  }
  if (error instanceof Error && error.name === 'TimeoutError') {
    return { code: 'timeout', message: error.message, unrecoverable: false };
  }
  return { code: 'processor_error', message: error instanceof Error ? error.message : String(error), unrecoverable: false };
}
