import { RootError } from '../errors.js';

/** Says why the admin HTTP server cannot listen on `address`, and what to do about it. */
export function httpListenFailure(address: string, error: NodeJS.ErrnoException): RootError {
  const hint: Record<string, string> = {
    EADDRINUSE:
      "the address is already in use; pick another port (or port 0 to let the system choose, or 'off' for no admin HTTP) or stop the process using it",
    EACCES: 'permission denied; ports below 1024 need privileges, pick a higher port',
    EADDRNOTAVAIL:
      'the address does not belong to this machine; use one of its own addresses (or 0.0.0.0)',
  };
  const reason = (error.code !== undefined && hint[error.code]) || error.message;
  return new RootError('ERR_ROOT_HTTP_LISTEN', `cannot serve admin HTTP on ${address}: ${reason}`, {
    cause: error,
  });
}
