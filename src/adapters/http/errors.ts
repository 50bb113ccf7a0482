import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, isAppError, type ErrorCode, type ErrorDetail } from '../../core/errors.js';

/** The one table from error codes to HTTP statuses (shared/API.md, "Conventions"). */
export const httpStatusByCode = {
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  invalid_input: 422,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
} as const satisfies Record<ErrorCode, number>;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: readonly ErrorDetail[] };
}

export function errorBody(error: AppError): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details ? { details: error.details } : {}),
    },
  };
}

/**
 * Turns whatever a handler threw into the contract's error JSON. Library errors are
 * wrapped here, at the edge; clients never see a stack trace or an internal message.
 */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    return new AppError('invalid_input', 'the request does not match the schema', {
      cause: error,
      details: error.validation.map((issue) => ({
        // e.g. "body.owner.email" for instancePath "/owner/email" in the body
        path: [
          error.validationContext ?? 'body',
          ...issue.instancePath.split('/').filter(Boolean),
        ].join('.'),
        message: issue.message ?? 'invalid',
      })),
    });
  }
  const fastifyError = error as Partial<FastifyError>;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('invalid_input', 'the request body is too large', { cause: error });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('invalid_input', 'the request body is not valid JSON', {
        cause: error,
        details: [{ path: 'body', message: 'not valid JSON' }],
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('invalid_input', 'send JSON with Content-Type: application/json', {
        cause: error,
      });
    default:
      break;
  }
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return new AppError('invalid_input', 'the request body is not valid JSON', { cause: error });
  }
  return new AppError('internal', 'internal error', { cause: error });
}

/** HTTP statuses that keep a more precise meaning than the code's default. */
const preciseStatus: Partial<Record<string, number>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 413,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 415,
};

export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const appError = toAppError(error);
  const cause = appError.cause as Partial<FastifyError> | undefined;
  const status = (cause?.code && preciseStatus[cause.code]) || httpStatusByCode[appError.code];
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  return reply.status(status).send(errorBody(appError));
}
