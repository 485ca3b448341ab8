// Types for the demo module, so that the Chromium test (TypeScript) can start the same demo `npm run demo` starts.
export declare const DEMO_EMAIL: string;
export declare const DEMO_PASSWORD: string;
export declare const PHOTOS_API: string;

export interface DemoLatchModules {
  loadConfig: (...args: any[]) => any;
  startServer: (...args: any[]) => Promise<any>;
  createUser: (...args: any[]) => Promise<any>;
  createClient: (...args: any[]) => Promise<any>;
  createApi: (...args: any[]) => Promise<any>;
  listGrants: (...args: any[]) => Promise<any>;
  revokeGrant: (...args: any[]) => Promise<any>;
}

export interface Demo {
  issuer: string;
  user: { sub: string; email: string };
  latch: { store: unknown; close(): Promise<void> };
  printShopUrl: string;
  photosApiUrl: string;
  revokePrintShopAccess(): Promise<number>;
  close(): Promise<void>;
}

export declare function startDemo(
  latch: DemoLatchModules,
  options: { dataDir: string; latchPort: number; photosPort: number; shopPort: number; host?: string; logLevel?: string },
): Promise<Demo>;
