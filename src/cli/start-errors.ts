import type { Config } from '../config/schema.js';
import { StoreOpenError } from '../storage/open-error.js';
import { CliError } from './io.js';

/** The setting an operator changes when the store cannot be opened. */
export function storeOpenFailure(error: StoreOpenError): CliError {
  const field = error.dialect === 'postgres' ? 'LATCH_DATABASE_URL' : 'LATCH_DATA_DIR';
  return new CliError(`${field}: ${error.message}`, { field, cause: error });
}

/**
 * `latch start` failing to listen, in one line that names the setting (PORT, LATCH_HOST) and the address;
 * undefined for any other error.
 */
export function listenFailure(error: unknown, config: Pick<Config, 'host' | 'port'>): CliError | undefined {
  const { code, syscall, hostname, address, port } = (error ?? {}) as {
    code?: string;
    syscall?: string;
    hostname?: string;
    address?: string;
    port?: number;
  };
  const where = `${address ?? config.host}:${port ?? config.port}`;
  if (syscall === 'listen' && code === 'EADDRINUSE') {
    return new CliError(
      `PORT / LATCH_HOST: ${where} is already in use (another Latch or another program listens there); stop it, or set PORT (or LATCH_HOST) to a free one`,
      { field: 'PORT', cause: error },
    );
  }
  if (syscall === 'listen' && (code === 'EACCES' || code === 'EPERM')) {
    return new CliError(`PORT: not allowed to listen on ${where} (ports below 1024 need privileges); set PORT to 1024 or above`, {
      field: 'PORT',
      cause: error,
    });
  }
  if (syscall === 'listen' && code === 'EADDRNOTAVAIL') {
    return new CliError(`LATCH_HOST: ${address ?? config.host} is not an address of this machine; use one of its addresses, localhost, or 0.0.0.0 for all`, {
      field: 'LATCH_HOST',
      cause: error,
    });
  }
  if ((code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL') && (hostname === undefined || hostname === config.host)) {
    return new CliError(`LATCH_HOST: unknown host "${config.host}"; use a host name or address of this machine (localhost, or 0.0.0.0 in a container)`, {
      field: 'LATCH_HOST',
      cause: error,
    });
  }
  return undefined;
}
