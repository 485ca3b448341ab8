import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api } from './api.js';
import type { Session } from './auth.js';

export interface Notice {
  kind: 'success' | 'error';
  text: string;
}

export interface ConsoleContext {
  api: Api;
  session: Session;
  /** Announces a message in the live region (success) or the alert (error); undefined clears the last one. */
  notify(notice: Notice | undefined): void;
}

export const Ctx = createContext<ConsoleContext | undefined>(undefined);

export function useConsole(): ConsoleContext {
  const ctx = useContext(Ctx);
  if (!ctx) throw new Error('outside the console');
  return ctx;
}
