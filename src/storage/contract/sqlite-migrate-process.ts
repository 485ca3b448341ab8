/** Run by sqlite.test.ts in a child process: migrates the SQLite store in argv[2], prints what it applied. */
import { openStore } from '../open.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: sqlite-migrate-process <dataDir>');
const store = await openStore({ dataDir });
try {
  process.stdout.write(JSON.stringify(await store.migrate()));
} finally {
  await store.close();
}
