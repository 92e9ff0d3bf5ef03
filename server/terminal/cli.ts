// `npm run client -- [address] [flags]`: runs the terminal client on this
// process's terminal and exits with its code once the output is written.
import { runTerminalClient } from './index';

// A closed terminal (SIGHUP) makes writes fail with EIO; the client is quitting then anyway.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

const code = await runTerminalClient(process.argv.slice(2));
process.stdout.write('', () => process.exit(code));
